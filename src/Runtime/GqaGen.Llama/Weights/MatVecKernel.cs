using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// The matrix-vector kernels behind <see cref="WeightMatrix"/>, generic over the storage format: an AVX-512 path
/// (<see cref="Vector512"/>), an AVX2 path (<see cref="Vector256"/>) and a scalar path, each its own method.
/// </summary>
/// <remarks>
/// <para>Decode is memory-bound, so the kernels are written to stream weights at memory bandwidth. Weights are
/// dequantized in registers, never expanded in memory. Every kernel walks a row in 32-weight groups
/// (<see cref="WeightBlock.Elements"/>): a 32-weight block, or one of the eight sub-blocks of a K-quant super-block
/// (the block's offset and the group's index in it are induction variables, <see cref="NextGroup"/>, which for
/// 32-weight formats compile to the plain pointer walk of one block per group; the AVX-512 path's K-quant 4-row tiles
/// step one super-block at a time and loop over its eight groups instead, in the same order). Element formats (F32, F16, BF16) are read one row at a time, the whole matrix as one
/// linear stream with software prefetching 8 KB ahead; the quantized formats, whose dequantization costs more than
/// their memory traffic, are read four rows at a time, each group of x loaded once for the four rows, while the next
/// four rows are prefetched into L2 (<see cref="IWeightFormat.TilesRows"/> says which, and why). Every row keeps two
/// accumulators, so the FMA chains overlap.</para>
/// <para>Single-threaded, the quantized formats are compute-bound, not memory-bound: with fp32 activations each
/// weight costs at least an unpack and an FMA. The AVX-512 path keeps that close to the minimum: a group's 16 or 32
/// possible weights (or quants) are built once and each lane looks its weight up with one permute
/// (<see cref="QuantBits.Lookup16"/>: no mask, int→float conversion or per-vector multiply-add), and the K-quants'
/// packed scales and minimums are decoded once per super-block and row, vectorized
/// (<see cref="IWeightFormat.DecodesBlocks"/>), instead of once per group. Measured on the development machine
/// (1 thread of 2 shared AMD EPYC cores, AVX-512, 5632 × 2048, matrix in cache, 2026-12-04), GB/s before → after:
/// Q4_0 15.6 → 18.5, Q4_1 17.4 → 17.9, Q5_0 9.7 → 11.9, Q5_1 10.8 → 12.2, Q2_K 3.4 → 6.7, Q3_K 2.9 → 7.7,
/// Q4_K 7.9 → 11.3, Q5_K 7.6 → 11.1, Q6_K 7.5 → 12.2 (F16 45, Q8_0 36, unchanged), against a plain read of the same
/// bytes at 60 to 110 GB/s in cache and about 30 from DRAM. Reaching memory bandwidth takes the compute pool's
/// threads (rows are split over them), or integer dot products on activations quantized to 8 bits, as ggml does,
/// which would change the results.</para>
/// <para>Every row's result is the same bits whichever tile computes it (four rows, one row),
/// because each accumulates its row in the same order: per path, a row's groups go into the same two accumulators,
/// which are summed with <see cref="Vector512.Sum{T}(Vector512{T})"/> (or the 256-bit one) and added to the
/// sequential sum of the partial last group. So a row's output does not depend on the thread count, the row slice
/// asked for, or the number of tokens in a batch; it does depend on the path.</para>
/// <para>NaN or infinity in x or the weights propagates to the rows it touches, as in any dot product.</para>
/// <para>The path methods are <see cref="MethodImplOptions.AggressiveOptimization"/>: a decoder calls them about 150
/// times per token from its first token on, and under tiered compilation they would run as tier-0 code until the
/// background tier-1 compile lands, which made a 200-token generation of the built-in model 3× slower (817 vs 2,739
/// tokens/s measured on 2026-11-26). Nothing is lost: their branches depend on types and hardware, not on profiles.</para>
/// </remarks>
internal static unsafe partial class MatVecKernel
{
    /// <summary>Rows per tile of the matrix-vector paths for formats that tile rows; multi-threaded splits are
    /// multiples of it, so each thread's rows start on a tile.</summary>
    public const int RowTile = 4;

    /// <summary>How many bytes of activations (x rows) one token block of the batched kernels may hold: about half of
    /// a 1 MiB L2, so that x stays in cache while every weight row of the slice streams past it once.</summary>
    private const int TokenBlockBytes = 512 * 1024;

    /// <summary>The widest path this process accelerates: the ladder of <c>TensorPrimitives</c>.</summary>
    public static GqaKernelPath BestPath
        => Vector512.IsHardwareAccelerated ? GqaKernelPath.Avx512
         : Vector256.IsHardwareAccelerated ? GqaKernelPath.Avx2
         : GqaKernelPath.Scalar;

    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for <c>r</c> in <c>[0, rowCount)</c>, where row r's
    /// bytes start at <c>rows + r · rowBytes</c> and hold <paramref name="columns"/> weights.
    /// </summary>
    /// <remarks>No argument is checked: the caller guarantees the bytes, <paramref name="columns"/> floats of x and
    /// <paramref name="rowCount"/> floats of y.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyRows<TFormat>(GqaKernelPath path, byte* rows, nint rowBytes, int columns, float* x, float* y, int rowCount)
        where TFormat : IWeightFormat
    {
        switch (path)
        {
            case GqaKernelPath.Avx512:
                MultiplyRowsVector512<TFormat>(rows, rowBytes, columns, x, y, rowCount);
                break;
            case GqaKernelPath.Avx2:
                MultiplyRowsVector256<TFormat>(rows, rowBytes, columns, x, y, rowCount);
                break;
            default:
                MultiplyRowsScalar<TFormat>(rows, rowBytes, columns, x, y, rowCount);
                break;
        }
    }

    /// <summary>
    /// The scalar path of the batched products (<see cref="MatMulKernel"/> runs the vector paths): effectively
    /// <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for tokens <c>t</c> in <c>[0, tokens)</c> and rows <c>r</c> in
    /// <c>[0, rowCount)</c>, each token the bits of its matrix-vector product; X's rows are <paramref name="columns"/>
    /// floats apart, Y's rows <paramref name="yStride"/> floats apart.
    /// </summary>
    /// <remarks>
    /// Tokens go in blocks whose activations fit <see cref="TokenBlockBytes"/>; within a block each weight row is read
    /// from memory once and used for every token of the block. No argument is checked.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTokensScalarBlocked<TFormat>(byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TFormat : IWeightFormat
    {
        int tokenBlock = Math.Max(4, (TokenBlockBytes / sizeof(float) / columns) & ~3);
        for (int t = 0; t < tokens; t += tokenBlock)
        {
            int count = Math.Min(tokenBlock, tokens - t);
            MultiplyTokensScalar<TFormat>(rows, rowBytes, columns, x + (nint)t * columns, count, y + (nint)t * yStride, yStride, rowCount);
        }
    }

    /// <summary>
    /// How far ahead of a single row's reads <see cref="PrefetchStream"/> asks for weights: twice this machine's
    /// bandwidth × latency (about 30 GB/s × 130 ns ≈ 4 KB). Measured on the development machine (2048 × 5632 F16,
    /// DRAM-resident): 1 KB gave 22, 4 KB 29, 8 KB 32, 16 KB 30 GB/s.
    /// </summary>
    private const int StreamPrefetchBytes = 8192;

    /// <summary>How many 32-weight groups one block of the format holds: 1, or 8 for the K-quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GroupsPerBlock<TFormat>()
        where TFormat : IWeightFormat
        => TFormat.BlockElements / WeightBlock.Elements;

    /// <summary>The byte offset, in a row, of the block that holds group <paramref name="k"/> of the row. A constant
    /// multiply for 32-weight formats; a shift and a multiply for super-blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static nint BlockOffset<TFormat>(int k)
        where TFormat : IWeightFormat
        => (nint)((uint)k / (uint)GroupsPerBlock<TFormat>()) * TFormat.BlockBytes;

    /// <summary>Which group of its block group <paramref name="k"/> of a row is (always 0 for 32-weight formats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int GroupInBlock<TFormat>(int k)
        where TFormat : IWeightFormat
        => (int)((uint)k % (uint)GroupsPerBlock<TFormat>());

    /// <summary>
    /// Steps a row walk's (block offset, group in block) to the next 32-weight group: the offset grows by a block every
    /// step for 32-weight formats (the branch folds away, leaving the one add of a pointer walk), and every eighth step
    /// for super-blocks. Induction variables rather than a multiply of the group number: the multiply cost 32-weight
    /// formats about 5% of their single-thread speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void NextGroup<TFormat>(ref nint offset, ref int group)
        where TFormat : IWeightFormat
    {
        if (GroupsPerBlock<TFormat>() == 1)
        {
            offset += TFormat.BlockBytes;
        }
        else if (++group == GroupsPerBlock<TFormat>())
        {
            group = 0;
            offset += TFormat.BlockBytes;
        }
    }

    /// <summary>About how many bytes of a row precede group <paramref name="group"/> of the block at
    /// <paramref name="offset"/> (exactly, for 32-weight formats): where the stream of a row's reads has got to, for
    /// the prefetches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint StreamOffset<TFormat>(nint offset, int group)
        where TFormat : IWeightFormat
        => offset + group * (TFormat.BlockBytes / GroupsPerBlock<TFormat>());

    /// <summary>
    /// Asks for the cache lines <see cref="StreamPrefetchBytes"/> ahead of <paramref name="position"/> (one line per 64
    /// bytes a group occupies). The rows of a matrix are contiguous, so near a row's end this fetches the start of the
    /// next row: the weights are requested as one linear stream, in file order, which is what DRAM and the hardware
    /// prefetchers serve fastest. A prefetch never faults, so running past the matrix is harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStream<TFormat>(byte* position)
        where TFormat : IWeightFormat
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(position + StreamPrefetchBytes);
            if (TFormat.BlockBytes / GroupsPerBlock<TFormat>() > 64)
                Sse.Prefetch0(position + StreamPrefetchBytes + 64);
        }
    }

    /// <summary>
    /// For a tile of <see cref="RowTile"/> rows at <paramref name="tile"/> that has read <paramref name="offset"/> bytes
    /// of each row: asks for the next tile's bytes into L2, <c>RowTile</c> groups' bytes per group step, so that by the
    /// time the tile ends the whole next tile (its rows back to back, one linear stream) has been requested.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextTile<TFormat>(byte* tile, nint rowBytes, nint offset)
        where TFormat : IWeightFormat
        => PrefetchNextTile(tile, rowBytes, offset, TFormat.BlockBytes / GroupsPerBlock<TFormat>());

    /// <summary><see cref="PrefetchNextTile{TFormat}"/> for a kernel that reads <paramref name="stepBytes"/> of each
    /// row per step (the integer kernels' steps are a block or a group of blocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchNextTile(byte* tile, nint rowBytes, nint offset, int stepBytes)
    {
        if (Sse.IsSupported)
        {
            byte* ahead = tile + RowTile * rowBytes + RowTile * offset;
            for (int line = 0; line < RowTile * stepBytes; line += 64)
                Sse.Prefetch1(ahead + line);
        }
    }

    /// <summary>
    /// The sum over the partial last group of a row (columns past the last whole group), in column order; 0 when the
    /// row is whole groups. Only element formats have one (the others require whole blocks). Shared by every path so
    /// that a row's result does not depend on the tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float PartialBlock<TFormat>(byte* row, int wholeGroups, int columns, float* x)
        where TFormat : IWeightFormat
    {
        float sum = 0;
        int start = wholeGroups * WeightBlock.Elements;
        if (start < columns)
        {
            byte* block = row + BlockOffset<TFormat>(wholeGroups);
            int first = GroupInBlock<TFormat>(wholeGroups) * WeightBlock.Elements;
            for (int i = 0; i < columns - start; i++)
                sum += TFormat.Element(block, first + i) * x[start + i];
        }
        return sum;
    }
}
