using System.Runtime.CompilerServices;

namespace GqaGen.Llama;

/// <summary>
/// The batched weight products behind <see cref="WeightMatrix.MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/>:
/// <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for many tokens at once, register-blocked so that the work is bound by the
/// FMA units rather than by dequantization or memory, on an AVX-512 and an AVX2 path (the scalar path, and batches
/// of fewer than <see cref="TokenTile"/> tokens, use <see cref="MatVecKernel.MultiplyTokens{TFormat}"/>).
/// </summary>
/// <remarks>
/// <para>The loop nest, per thread's slice of rows: tokens in blocks of <see cref="TokenBlock"/>; within a block,
/// rows in tiles of a few rows (<see cref="ITilePath.RowTile{TFormat}"/>: 4 for AVX-512, 2 for AVX2, half that for
/// the scaled-sum formats); within a row tile, columns in chunks of <see cref="ChunkGroups"/> 32-weight groups. Each
/// chunk of the tile's rows is dequantized once into a small float panel in L1 (the quants and the group scales for
/// <see cref="IWeightFormat.ScalesBlockSums"/> formats; F32 rows are read in place), then every
/// <see cref="TokenTile"/>-token tile of the block runs the microkernel over it: rows × tokens accumulators held in
/// registers (24 of the 32 zmm registers for F16), so each weight vector loaded is used for six tokens and each x
/// vector for every row of the tile. Dequantization thus costs once per 48 tokens instead of once per token.</para>
/// <para>Exactness: every (row, token) accumulates in exactly the order of <see cref="MatVecKernel"/>'s dot product on
/// the same path: the same two vector accumulators, the same products in the same order, the same final
/// <c>Sum(a + b)</c> plus the same partial last group. The accumulators are vectors, not scalars, so they cannot all
/// stay in registers across the chunks: each tile's are kept in a buffer (about 24 KB, in L1/L2) between chunks, and
/// the two accumulators of a row are advanced in two passes over the chunk (for element formats the first and second
/// halves of each group; for scaled-sum formats the even and odd groups, which is how its two alternating
/// accumulators split), which halves the registers one (row, token) needs. So row t of Y equals the matrix-vector
/// product of row t of X bit for bit, whatever the thread count or batch size.</para>
/// <para>Leftovers: a last token tile with fewer than six tokens repeats its last token, and a last row tile with
/// fewer rows repeats its last row, in the microkernel only (the repeats are computed and dropped; nothing is read
/// outside the given rows and tokens, and only the real outputs are written).</para>
/// </remarks>
internal static unsafe partial class MatMulKernel
{
    /// <summary>Tokens per microkernel tile (the accumulators' second dimension).</summary>
    public const int TokenTile = 6;

    /// <summary>Tokens per block: the accumulator buffer holds one row tile × this many tokens, and each row tile's
    /// weights are dequantized once per block.</summary>
    public const int TokenBlock = 8 * TokenTile;

    /// <summary>32-weight groups per column chunk: 512 columns (a multiple of the K-quants' 8 groups per super-block),
    /// so a chunk of x for the tile's six tokens (12 KB) and the tile's dequantized weights (8 KB) sit in L1.</summary>
    public const int ChunkGroups = 16;

    /// <summary>The most rows a tile has on any path.</summary>
    private const int MaxRowTile = 4;

    /// <summary>Floats of the accumulator buffer per token tile: two passes × rows × tokens × a 16-float vector (the
    /// widest).</summary>
    private const int TileFloats = 2 * MaxRowTile * TokenTile * 16;

    /// <summary>
    /// Effectively computes <c>Y[t, r] = Σ_c W[r, c] · X[t, c]</c> for tokens <c>t</c> in <c>[0, tokens)</c> and rows
    /// <c>r</c> in <c>[0, rowCount)</c>; X's rows are <paramref name="columns"/> floats apart, Y's rows
    /// <paramref name="yStride"/> floats apart. Each output is the same bits as
    /// <see cref="MatVecKernel.MultiplyRows{TFormat}"/> on the same path.
    /// </summary>
    /// <remarks>No argument is checked: the caller guarantees the bytes of <paramref name="rowCount"/> rows,
    /// <paramref name="tokens"/> × <paramref name="columns"/> floats of x and the outputs.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTokens<TFormat>(GqaKernelPath path, byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TFormat : IWeightFormat
    {
        if (tokens < TokenTile || path == GqaKernelPath.Scalar)
            MatVecKernel.MultiplyTokens<TFormat>(path, rows, rowBytes, columns, x, tokens, y, yStride, rowCount);
        else if (path == GqaKernelPath.Avx512)
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
        int rowTile = TPath.RowTile<TFormat>();
        int groups = columns / WeightBlock.Elements;
        const int TilesPerBlock = TokenBlock / TokenTile;
        // Buffers on the stack, 64-byte aligned so that no vector load of them splits a cache line.
        byte* accumulatorBytes = stackalloc byte[TilesPerBlock * TileFloats * sizeof(float) + 64];
        float* accumulators = (float*)(((nint)accumulatorBytes + 63) & ~(nint)63);
        byte* panelBytes = stackalloc byte[MaxRowTile * ChunkGroups * WeightBlock.Elements * sizeof(float) + 64];
        float* panel = (float*)(((nint)panelBytes + 63) & ~(nint)63);
        float* scales = stackalloc float[MaxRowTile * ChunkGroups];
        float* coefficients = stackalloc float[IWeightFormat.MaxBlockCoefficients];
        float** weights = stackalloc float*[MaxRowTile];
        float** rowScales = stackalloc float*[MaxRowTile];
        float** xs = stackalloc float*[TokenTile];

        for (int t0 = 0; t0 < tokens; t0 += TokenBlock)
        {
            int blockTokens = Math.Min(TokenBlock, tokens - t0);
            int tiles = (blockTokens + TokenTile - 1) / TokenTile;
            float* xBlock = x + (nint)t0 * columns;
            for (int r0 = 0; r0 < rowCount; r0 += rowTile)
            {
                int tileRows = Math.Min(rowTile, rowCount - r0);
                byte* tileStart = rows + r0 * rowBytes;
                new Span<float>(accumulators, tiles * TileFloats).Clear();
                for (int g0 = 0; g0 < groups; g0 += ChunkGroups)
                {
                    int chunkGroups = Math.Min(ChunkGroups, groups - g0);
                    // Dequantize the chunk of the tile's rows once (F32 is read in place); missing rows repeat the last.
                    for (int i = 0; i < rowTile; i++)
                    {
                        if (i >= tileRows)
                        {
                            weights[i] = weights[tileRows - 1];
                            rowScales[i] = rowScales[tileRows - 1];
                        }
                        else if (typeof(TFormat) == typeof(F32Format))
                        {
                            weights[i] = (float*)(tileStart + i * rowBytes) + (nint)g0 * WeightBlock.Elements;
                            rowScales[i] = null;
                        }
                        else
                        {
                            weights[i] = panel + i * ChunkGroups * WeightBlock.Elements;
                            rowScales[i] = scales + i * ChunkGroups;
                            TPath.Pack<TFormat>(tileStart + i * rowBytes, g0, chunkGroups, weights[i], rowScales[i], coefficients);
                        }
                    }
                    for (int tile = 0; tile < tiles; tile++)
                    {
                        // Missing tokens of the last tile repeat its last token.
                        for (int j = 0; j < TokenTile; j++)
                            xs[j] = xBlock + (nint)Math.Min(tile * TokenTile + j, blockTokens - 1) * columns + g0 * WeightBlock.Elements;
                        TPath.Tile<TFormat>(weights, rowScales, xs, chunkGroups, accumulators + tile * TileFloats);
                    }
                }
                for (int t = 0; t < blockTokens; t++)
                {
                    float* tileAccumulators = accumulators + t / TokenTile * TileFloats;
                    float* xt = xBlock + (nint)t * columns;
                    float* yt = y + (nint)(t0 + t) * yStride + r0;
                    for (int i = 0; i < tileRows; i++)
                        yt[i] = TPath.Finish(tileAccumulators, i, t % TokenTile) + MatVecKernel.PartialBlock<TFormat>(tileStart + i * rowBytes, groups, columns, xt);
                }
            }
        }
    }

    /// <summary>One instruction-set path of the microkernel; the JIT specializes <see cref="Run"/> per path and format.</summary>
    private interface ITilePath
    {
        /// <summary>Rows per tile for <typeparamref name="TFormat"/> (at most <see cref="MaxRowTile"/>).</summary>
        static abstract int RowTile<TFormat>()
            where TFormat : IWeightFormat;

        /// <summary>Dequantizes groups <c>[firstGroup, firstGroup + groups)</c> of a row into <paramref name="weights"/>
        /// (32 floats per group, in column order): the weights, or the quants and each group's scale in
        /// <paramref name="scales"/> for <see cref="IWeightFormat.ScalesBlockSums"/> formats. The values are those
        /// the path's matrix-vector kernel uses, bit for bit.</summary>
        static abstract void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* scales, float* coefficients)
            where TFormat : IWeightFormat;

        /// <summary>Advances one token tile's accumulators by <paramref name="groups"/> groups of the rows' packed
        /// weights against the tokens' x, in the path's accumulation order.</summary>
        static abstract void Tile<TFormat>(float** weights, float** scales, float** xs, int groups, float* accumulators)
            where TFormat : IWeightFormat;

        /// <summary>Row <paramref name="row"/>, token <paramref name="token"/> of a tile: <c>Sum(a + b)</c> of its two
        /// accumulators.</summary>
        static abstract float Finish(float* accumulators, int row, int token);
    }
}
