using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Bench;

/// <summary>
/// How fast one core can bring a weight matrix in from DRAM when it reads it the way the matrix-vector kernels do,
/// with no product at all: the question behind issue 15's "≥ 80 % of a plain read" bar. The baseline is the plain
/// linear read of <see cref="MatVecBenchmarks"/>; the other rows read the same bytes in the kernels' order (tiles of
/// <see cref="MatVecKernel.RowTile"/> rows, one 144-byte super-block of each row per step, the next tile requested into
/// L2 meanwhile by the kernels' own <see cref="MatVecKernel.PrefetchNextTile(byte*, nint, nint, int)"/>), with and
/// without that prefetch, and with a fixed amount of integer arithmetic per load (four dependent 32-bit
/// multiply-adds), in tile order and in one linear walk.
/// </summary>
/// <remarks>
/// The matrix is <see cref="MatVecBenchmarks"/>' Q4_K <c>ffn_down</c> of TinyLlama (2,048 rows of 3,168 bytes), made
/// the same way. <see cref="Cached"/> false cycles through copies filling 256 MB, so every call streams from DRAM as a
/// decoder does; true reads one copy (6.5 MB, L3-resident), which gives each loop's speed without DRAM. Every loop
/// sums what it reads, so nothing is optimized away; they differ only in order, prefetch and arithmetic.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(MatVecBenchmarks.WeightBandwidthConfig))]
public class AccessPatternBenchmarks
{
    /// <summary>Bytes of each row per step: one Q4_K super-block, the integer kernel's step (64 + 64 + 16 bytes loaded).</summary>
    private const int StepBytes = 144;

    /// <summary>Dependent multiply-adds per 64-byte load in the "with arithmetic" rows.</summary>
    private const int Work = 4;

    private byte[][] _copies = [];
    private int _next, _rows, _rowBytes;

    /// <summary>The matrix's type (one value: the "Weights GB/s" column reads it).</summary>
    [Params(GgmlType.Q4_K)]
    public GgmlType Type { get; set; } = GgmlType.Q4_K;

    /// <summary>Rows × columns (one value: TinyLlama's <c>ffn_down</c>).</summary>
    [Params("2048x5632")]
    public string Shape { get; set; } = "2048x5632";

    /// <summary>False: a new copy each call (DRAM); true: always the same copy (L3).</summary>
    [Params(false, true)]
    public bool Cached { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_rows, int columns) = BenchMatrices.ParseShape(Shape);
        _rowBytes = (int)WeightMatrix.RowByteSize(Type, columns);
        // The loops read whole steps only, so a row must be whole steps for them to read every byte.
        if (_rowBytes % StepBytes != 0)
            throw new InvalidOperationException($"{Type} rows of {columns} columns are {_rowBytes} bytes, not a multiple of the {StepBytes}-byte step.");
        (_, _copies) = BenchMatrices.CycledCopies(new Random(2025), Type, Shape, Cached ? 1 : MatVecBenchmarks.CycledBytes);
    }

    [Benchmark(Baseline = true, Description = "Read linearly (vector sum)")]
    public uint ReadBytes() => MatVecBenchmarks.SumBytes(Next());

    [Benchmark(Description = "Read in tile order, next tile prefetched")]
    public uint TileOrder() => Tiles(Next(), _rows, _rowBytes, prefetch: true, work: 0);

    [Benchmark(Description = "Read in tile order, no prefetch")]
    public uint TileOrderNoPrefetch() => Tiles(Next(), _rows, _rowBytes, prefetch: false, work: 0);

    [Benchmark(Description = "Tile order, prefetch, 4 multiply-adds per load")]
    public uint TileOrderWithArithmetic() => Tiles(Next(), _rows, _rowBytes, prefetch: true, work: Work);

    [Benchmark(Description = "Linear walk, 4 multiply-adds per load")]
    public uint LinearWithArithmetic() => Linear(Next(), work: Work);

    private byte[] Next()
    {
        byte[] copy = _copies[_next];
        _next = _next + 1 == _copies.Length ? 0 : _next + 1;
        return copy;
    }

    /// <summary>The matrix in tiles of <see cref="MatVecKernel.RowTile"/> rows, <see cref="StepBytes"/> of each row per
    /// step; with <paramref name="prefetch"/>, the next tile's bytes requested into L2 step by step, by the kernels'
    /// own prefetch (its rows back to back, one linear stream).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe uint Tiles(byte[] matrix, int rows, int rowBytes, bool prefetch, int work)
    {
        Vector512<uint> sum = default;
        fixed (byte* start = matrix)
        {
            for (int r = 0; r + MatVecKernel.RowTile <= rows; r += MatVecKernel.RowTile)
            {
                byte* tile = start + (nint)r * rowBytes;
                for (int offset = 0; offset + StepBytes <= rowBytes; offset += StepBytes)
                {
                    // Past the last tile this asks for lines outside the array, as the kernels do: a prefetch never faults.
                    if (prefetch)
                        MatVecKernel.PrefetchNextTile(tile, rowBytes, offset, StepBytes);
                    for (int row = 0; row < MatVecKernel.RowTile; row++)
                    {
                        byte* bytes = tile + row * rowBytes + offset;
                        sum += Step(bytes, work);
                    }
                }
            }
        }
        return Vector512.Sum(sum);
    }

    /// <summary>The matrix front to back, one step after another, with the same arithmetic per load.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe uint Linear(byte[] matrix, int work)
    {
        Vector512<uint> sum = default;
        fixed (byte* start = matrix)
        {
            byte* end = start + matrix.Length / StepBytes * StepBytes;
            for (byte* p = start; p < end; p += StepBytes)
                sum += Step(p, work);
        }
        return Vector512.Sum(sum);
    }

    /// <summary>One step's <see cref="StepBytes"/> at <paramref name="bytes"/>: two 64-byte loads and one of 16 bytes
    /// (widened), each put through <paramref name="work"/> multiply-adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<uint> Step(byte* bytes, int work)
        => Arithmetic(Vector512.Load((uint*)bytes), work) + Arithmetic(Vector512.Load((uint*)(bytes + 64)), work)
            + Arithmetic(Vector128.Load((uint*)(bytes + 128)).ToVector256().ToVector512(), work);

    /// <summary><paramref name="work"/> dependent 32-bit multiply-adds on the loaded vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Arithmetic(Vector512<uint> value, int work)
    {
        for (int i = 0; i < work; i++)
            value = value * Vector512.Create(3u) + value;
        return value;
    }
}
