using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Bench;

/// <summary>
/// One matrix-vector product with a TinyLlama-sized weight matrix on one and two threads, per storage type: how close
/// <see cref="WeightMatrix.MultiplyVector(ReadOnlySpan{float}, Span{float}, ComputePool?)"/> comes to streaming its
/// weights at memory bandwidth. The baselines read the same bytes with a plain vector sum, on one thread and split
/// over two ("Weights GB/s": bytes of weights / mean time).
/// </summary>
/// <remarks>
/// Shapes are rows × columns from TinyLlama-1.1B (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json: hidden 2048,
/// intermediate 5632, vocabulary 32000): <c>2048x5632</c> is <c>ffn_down</c>, <c>32000x2048</c> the output head.
/// A decoder reads each matrix once per token, from DRAM; a benchmark calling one 23 MB matrix over and over would
/// read it from the 32 MB L3 instead. So setup makes enough copies of the matrix to fill 256 MB and every call uses
/// the next copy.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(WeightBandwidthConfig))]
public class MatVecBenchmarks
{
    /// <summary>Bytes of copies to cycle through: far beyond the L3, so every call streams from DRAM.</summary>
    internal const long CycledBytes = 256L << 20;

    private WeightMatrix[] _matrices = [];
    private byte[][] _bytes = [];
    private float[] _x = [];
    private float[] _y = [];
    private int _next;
    private ComputePool? _pool;

    /// <summary>The storage type.</summary>
    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    /// <summary>Rows × columns.</summary>
    [Params("2048x5632", "32000x2048")]
    public string Shape { get; set; } = "2048x5632";

    [GlobalSetup]
    public void Setup()
    {
        (int rows, int columns) = BenchMatrices.ParseShape(Shape);
        var random = new Random(2025);
        (_matrices, _bytes) = BenchMatrices.CycledCopies(random, Type, Shape, CycledBytes);
        _x = new float[columns];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = random.NextSingle() * 2 - 1;
        _y = new float[rows];
        _pool = new ComputePool(2);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Baseline = true, Description = "Read the bytes (vector sum)")]
    public uint ReadBytes() => SumBytes(_bytes[Next()]);

    [Benchmark(Description = "MultiplyVector, 1 thread")]
    public void MultiplyVector() => _matrices[Next()].MultiplyVector(_x, _y);

    [Benchmark(Description = "Read the bytes, 2 threads")]
    public uint ReadBytesTwoThreads() => SumBytesTwoThreads(_bytes[Next()], _pool!);

    /// <summary>The bytes summed by two threads of <paramref name="pool"/>, one half each.</summary>
    internal static uint SumBytesTwoThreads(byte[] bytes, ComputePool pool)
    {
        uint total = 0;
        // Two halves on 4 KiB boundaries, each summed by one thread of the pool, as the product splits its rows.
        int half = bytes.Length / 2 & ~4095;
        pool.For(2, (start, end) =>
        {
            uint sum = 0;
            for (int i = start; i < end; i++)
                sum += SumBytes(i == 0 ? bytes.AsSpan(0, half) : bytes.AsSpan(half));
            Interlocked.Add(ref total, sum);
        });
        return total;
    }

    [Benchmark(Description = "MultiplyVector, 2 threads")]
    public void MultiplyVectorTwoThreads() => _matrices[Next()].MultiplyVector(_x, _y, _pool);

    private int Next()
    {
        int i = _next;
        _next = i + 1 == _matrices.Length ? 0 : i + 1;
        return i;
    }

    /// <summary>Bytes of weights one call streams, from the benchmark's parameters.</summary>
    internal static long WeightBytes(GgmlType type, string shape)
    {
        (int rows, int columns) = BenchMatrices.ParseShape(shape);
        return WeightMatrix.RowByteSize(type, columns) * rows;
    }

    /// <summary>The baseline: a sum of the bytes as 32-bit integers with four independent accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static uint SumBytes(byte[] bytes) => SumBytes(bytes.AsSpan());

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static unsafe uint SumBytes(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            byte* p = start, end = start + (bytes.Length & ~255);
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<uint> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; p < end; p += 256)
                {
                    a0 += Vector512.Load((uint*)p);
                    a1 += Vector512.Load((uint*)(p + 64));
                    a2 += Vector512.Load((uint*)(p + 128));
                    a3 += Vector512.Load((uint*)(p + 192));
                }
                return Vector512.Sum((a0 + a1) + (a2 + a3));
            }
            Vector256<uint> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; p < end; p += 128)
            {
                b0 += Vector256.Load((uint*)p);
                b1 += Vector256.Load((uint*)(p + 32));
                b2 += Vector256.Load((uint*)(p + 64));
                b3 += Vector256.Load((uint*)(p + 96));
            }
            return Vector256.Sum((b0 + b1) + (b2 + b3));
        }
    }

    /// <summary>Adds the "Weights GB/s" column to this class's summary.</summary>
    internal sealed class WeightBandwidthConfig : ManualConfig
    {
        public WeightBandwidthConfig() => AddColumn(new WeightBandwidthColumn());
    }

    /// <summary>"Weights GB/s": bytes of weights one call streams (rows × row bytes) / mean time (GB = 10⁹ bytes).</summary>
    private sealed class WeightBandwidthColumn : IColumn
    {
        public string Id => nameof(WeightBandwidthColumn);
        public string ColumnName => "Weights GB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Bytes of weights per call (rows x row bytes of the type) / mean time, in 10^9 bytes per second";

        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            object? type = benchmarkCase.Parameters[nameof(Type)];
            object? shape = benchmarkCase.Parameters[nameof(Shape)];
            double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (type is not GgmlType t || shape is not string s || meanNs is not > 0)
                return "-";
            // bytes per nanosecond = 10^9 bytes per second.
            return (WeightBytes(t, s) / meanNs.Value).ToString("N2", style.CultureInfo);
        }

        public override string ToString() => ColumnName;
    }
}
