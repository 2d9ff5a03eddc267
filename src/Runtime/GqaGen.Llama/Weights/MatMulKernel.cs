using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// The batched weight products behind <see cref="WeightMatrix.MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/>:
/// <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for many tokens at once, register-blocked so that the FMA units, not
/// dequantization or cache traffic, set the speed; an AVX-512 and an AVX2 path. The scalar path uses the
/// matrix-vector kernels (<see cref="MatVecKernel.MultiplyTokensScalarBlocked{TFormat}"/>).
/// </summary>
/// <remarks>
/// <para>The design is a small GEMM in the style of GotoBLAS/BLIS, with the tokens across vector lanes. Per thread's
/// slice of rows and per block of up to <see cref="TokenBlock"/> tokens: the block of x is transposed once, so that
/// column c of all its tokens is contiguous (zero-padded to whole token tiles). Rows go in panels of
/// <see cref="PanelRows"/>; columns in chunks of <see cref="ChunkColumns"/>. Each chunk of a panel's rows is
/// dequantized once (per token block) into a float panel (96 KB, in L2), and each token tile's chunk of transposed x
/// (32 KB on AVX-512, in L1) is then reused by every row tile of the panel. The microkernel keeps 12 rows × 32 tokens
/// of sums in 24 zmm registers (6 × 16 in 12 ymm on AVX2): per column it loads two vectors of x and broadcasts one weight
/// per row, 24 FMAs for 14 loads, every weight used for 32 tokens and every x vector for 12 rows. Sums are kept
/// per (row, token) in a small buffer between chunks.</para>
/// <para>Accuracy: the weights are the same bits as the matrix-vector kernels' (the same dequantization), but the order
/// of the fp32 sums differs: each output is the sum of its chunks' sums, each chunk summed in column order. So an output
/// is not the bits of <see cref="WeightMatrix.MultiplyVector(ReadOnlySpan{float}, Span{float}, ComputePool?)"/>; it meets
/// the same bound, <c>|y − ref| ≤ 1e-5 · Σ_c |W[r, c] · x[c]|</c> (the rounding of a sum of at most
/// 256 + columns / 256 terms). An output depends only on its row and its token's x: not on the thread count, the
/// other tokens, the batch size (one token included), where the token falls in a tile, or which of the two paths ran
/// (each lane of either tile does the same fused multiply-adds on the same weights). So a prompt gives the same bits
/// however it is cut into chunks.</para>
/// <para>Leftovers: a panel's missing rows are zero weights and a tile's missing tokens zero x, computed and dropped;
/// nothing outside the given rows and tokens is read and only the real outputs are written. The partial last group of
/// an element-format row is added per output by <see cref="MatVecKernel.PartialBlock{TFormat}"/>. NaN or infinity in a
/// token's x propagates to that token's outputs only (padding lanes may turn NaN; they are never written).</para>
/// <para>Why not the matrix-vector bits: keeping <see cref="MatVecKernel"/>'s order needs two 16-float vector
/// accumulators per (row, token), so a tile holds only 4 rows × 6 tokens (one accumulator per pass, two passes) and
/// must save and reload them at every chunk; built and measured first (2026-12-04, 1 thread, F16, 5632 × 2048, 64
/// tokens), it reached about 28 % of the FMA peak, below the 4-token matrix-vector tiles it replaced (about 37 %).
/// Scalar sums per (row, token), as here, reach 65 to 80 % on the same machine.</para>
/// </remarks>
internal static unsafe partial class MatMulKernel
{
    /// <summary>Batches of at most this many tokens use the 16-token tiles on the AVX-512 path too: a 32-token tile
    /// would be mostly padding.</summary>
    public const int SmallBatch = 16;

    /// <summary>The most tokens per block: whole AVX-512 token tiles; each panel of weights is dequantized once per
    /// block, so a block of 64 costs a dequantization per 64 uses of a weight.</summary>
    public const int TokenBlock = 64;

    /// <summary>Rows per panel: a multiple of both paths' row tiles (12 and 6).</summary>
    public const int PanelRows = 96;

    /// <summary>Columns per chunk: one K-quant super-block (QK_K = 256), eight 32-weight groups. A panel chunk is
    /// 96 × 256 floats (96 KB, L2); one token tile's transposed x chunk 256 × 32 floats (32 KB, L1).</summary>
    public const int ChunkColumns = 256;

    /// <summary>The widest token tile (AVX-512).</summary>
    private const int MaxTokenTile = 32;

    /// <summary>
    /// Effectively computes <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for tokens <c>t</c> in <c>[0, tokens)</c> and rows
    /// <c>r</c> in <c>[0, rowCount)</c>; X's rows are <paramref name="columns"/> floats apart, Y's rows
    /// <paramref name="yStride"/> floats apart.
    /// </summary>
    /// <remarks>No argument is checked: the caller guarantees the bytes of <paramref name="rowCount"/> rows,
    /// <paramref name="tokens"/> × <paramref name="columns"/> floats of x and the outputs.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTokens<TFormat>(GqaKernelPath path, byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TFormat : IWeightFormat
    {
        // Both tiles compute each (row, token) with the same per-lane operations on the same weights, so the 16-token
        // AVX2 tile serves small batches on the AVX-512 path too (less padding) without changing a bit.
        if (path == GqaKernelPath.Scalar)
            MatVecKernel.MultiplyTokensScalarBlocked<TFormat>(rows, rowBytes, columns, x, tokens, y, yStride, rowCount);
        else if (path == GqaKernelPath.Avx512 && tokens > SmallBatch)
            Run<Vector512Tiles, TFormat>(rows, rowBytes, columns, x, tokens, y, yStride, rowCount);
        else
            Run<Vector256Tiles, TFormat>(rows, rowBytes, columns, x, tokens, y, yStride, rowCount);
    }

    /// <summary>The loop nest of the class remarks, on one path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TPath, TFormat>(byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TPath : ITilePath
        where TFormat : IWeightFormat
    {
        int groups = columns / WeightBlock.Elements;
        int tokenTile = Math.Min(TPath.TokenTile, MaxTokenTile);
        nint wholeColumns = (nint)groups * WeightBlock.Elements;
        nint transposedFloats = wholeColumns * TokenBlock;
        const int PanelFloats = PanelRows * ChunkColumns, SumFloats = PanelRows * TokenBlock;
        // One allocation per call and thread for the transposed x (up to 1.4 MB for 5632 columns), the panel and the
        // sums: too big for the stack of a pool thread, and small beside the work (2 · rows · columns · tokens flops).
        float* memory = (float*)NativeMemory.AlignedAlloc((nuint)((transposedFloats + PanelFloats + SumFloats) * sizeof(float)), 64);
        try
        {
            float* transposed = memory, panel = memory + transposedFloats, sums = panel + PanelFloats;
            float* coefficients = stackalloc float[IWeightFormat.MaxBlockCoefficients];
            for (int t0 = 0; t0 < tokens; t0 += TokenBlock)
            {
                int blockTokens = Math.Min(TokenBlock, tokens - t0);
                int stride = (blockTokens + tokenTile - 1) / tokenTile * tokenTile;
                float* xBlock = x + (nint)t0 * columns;
                Transpose(xBlock, columns, blockTokens, wholeColumns, transposed, stride);
                for (int p0 = 0; p0 < rowCount; p0 += PanelRows)
                {
                    int panelRows = Math.Min(PanelRows, rowCount - p0);
                    int paddedRows = (panelRows + TPath.RowTile - 1) / TPath.RowTile * TPath.RowTile;
                    byte* panelStart = rows + p0 * rowBytes;
                    new Span<float>(sums, paddedRows * stride).Clear();
                    for (int g0 = 0; g0 < groups; g0 += ChunkColumns / WeightBlock.Elements)
                    {
                        int chunkGroups = Math.Min(ChunkColumns / WeightBlock.Elements, groups - g0);
                        int chunkColumns = chunkGroups * WeightBlock.Elements;
                        for (int i = 0; i < panelRows; i++)
                            TPath.Pack<TFormat>(panelStart + i * rowBytes, g0, chunkGroups, panel + i * ChunkColumns, coefficients);
                        for (int i = panelRows; i < paddedRows; i++)
                            new Span<float>(panel + i * ChunkColumns, chunkColumns).Clear();
                        float* xChunk = transposed + (nint)g0 * WeightBlock.Elements * stride;
                        for (int tile = 0; tile < stride; tile += TPath.TokenTile)
                        {
                            for (int r = 0; r < paddedRows; r += TPath.RowTile)
                                TPath.Tile(panel + r * ChunkColumns, xChunk + tile, stride, chunkColumns, sums + r * stride + tile);
                        }
                    }
                    for (int t = 0; t < blockTokens; t++)
                    {
                        float* xt = xBlock + (nint)t * columns;
                        float* yt = y + (nint)(t0 + t) * yStride + p0;
                        for (int i = 0; i < panelRows; i++)
                            yt[i] = sums[i * stride + t] + MatVecKernel.PartialBlock<TFormat>(panelStart + i * rowBytes, groups, columns, xt);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    /// <summary>
    /// Writes <c>transposed[c · stride + t] = x[t · columns + c]</c> for the block's <paramref name="tokens"/> and
    /// columns <c>[0, wholeColumns)</c>, and zeros for the padding tokens <c>[tokens, stride)</c>.
    /// </summary>
    private static void Transpose(float* x, int columns, int tokens, nint wholeColumns, float* transposed, int stride)
    {
        for (nint c = 0; c < wholeColumns; c++)
        {
            float* destination = transposed + c * stride;
            float* source = x + c;
            int t = 0;
            for (; t < tokens; t++)
                destination[t] = source[(nint)t * columns];
            for (; t < stride; t++)
                destination[t] = 0;
        }
    }

    /// <summary>
    /// While a group of a row is packed, asks for the same group of the row's next chunk into L2: a chunk of a panel
    /// is 96 short pieces of rows (1 KB of F32), too short for the hardware prefetchers, and without this the packing
    /// waits on DRAM (F32 and F16 ran at about 60 % of peak, the quantized types, fewer bytes, at 70 to 78 %). A
    /// prefetch never faults, so running past the last chunk is harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextChunk<TFormat>(byte* group)
        where TFormat : IWeightFormat
    {
        if (Sse.IsSupported)
        {
            const int GroupsPerChunk = ChunkColumns / WeightBlock.Elements;
            int groupBytes = TFormat.BlockBytes * WeightBlock.Elements / TFormat.BlockElements;
            byte* ahead = group + groupBytes * GroupsPerChunk;
            Sse.Prefetch1(ahead);
            if (groupBytes > 64)
                Sse.Prefetch1(ahead + 64);
        }
    }

    /// <summary>Adds a tile's sums to the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(float* sums, Vector512<float> value)
        => Vector512.Store(Vector512.Load(sums) + value, sums);

    /// <summary>Adds a tile's sums to the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(float* sums, Vector256<float> value)
        => Vector256.Store(Vector256.Load(sums) + value, sums);

    /// <summary>One instruction-set path of the microkernel; the JIT specializes <see cref="Run"/> per path and format.</summary>
    private interface ITilePath
    {
        /// <summary>Rows per microkernel tile.</summary>
        static abstract int RowTile { get; }

        /// <summary>Tokens per microkernel tile (divides <see cref="TokenBlock"/>); the transposed block is padded to it.</summary>
        static abstract int TokenTile { get; }

        /// <summary>Dequantizes groups <c>[firstGroup, firstGroup + groups)</c> of a row into <paramref name="weights"/>
        /// in column order: the weights the path's matrix-vector kernel multiplies by, bit for bit.</summary>
        static abstract void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* coefficients)
            where TFormat : IWeightFormat;

        /// <summary>Adds <c>Σ_c panel[i · ChunkColumns + c] · xt[c · stride + j]</c> over <c>c</c> in
        /// <c>[0, columns)</c> to <c>sums[i · stride + j]</c> for the tile's rows i and tokens j.</summary>
        static abstract void Tile(float* panel, float* xt, nint stride, int columns, float* sums);
    }
}
