using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatVecKernel
{
    // A row's order of accumulation on this path, kept by every tile below (see the class remarks), in
    // LoadBlock512/Accumulate512: per block, element formats add w[0..15]·x into `a` and w[16..31]·x into `b`; block
    // formats add d · (q[0..15]·x + q[16..31]·x) into one of the two, alternately. The row's result is Sum(a + b) plus
    // the partial last block.

    /// <summary>The AVX-512 path of <see cref="MultiplyRows"/>: one row at a time, or four at a time for formats that
    /// tile rows (<see cref="IWeightFormat.TilesRows"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyRowsVector512<TFormat>(byte* rows, nint rowBytes, int columns, float* x, float* y, int rowCount)
        where TFormat : IWeightFormat
    {
        // The tiles' per-row block coefficients (IWeightFormat.DecodesBlocks), allocated (and zeroed) here once per
        // call rather than in every tile call: the tiles stay free of a stackalloc, and the element formats' loops are
        // the code they were (F16 in cache: 32 GB/s before and after).
        float* coefficients = stackalloc float[RowTile * IWeightFormat.MaxBlockCoefficients];
        int r = 0;
        if (TFormat.TilesRows)
        {
            for (; r <= rowCount - RowTile; r += RowTile)
            {
                if (TFormat.DecodesBlocks)
                    Dot4SuperBlocksVector512<TFormat>(rows + r * rowBytes, rowBytes, columns, x, y + r, coefficients);
                else
                    Dot4Vector512<TFormat>(rows + r * rowBytes, rowBytes, columns, x, y + r, coefficients);
            }
        }
        for (; r < rowCount; r++)
            y[r] = DotVector512<TFormat>(rows + r * rowBytes, columns, x, coefficients);
    }

    /// <summary>One row · x, the row's bytes requested as one linear stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector512<TFormat>(byte* row, int columns, float* x, float* k0)
        where TFormat : IWeightFormat
    {
        Vector512<float> a = default, b = default;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            byte* block = row + offset;
            PrefetchStream<TFormat>(row + StreamOffset<TFormat>(offset, group));
            LoadBlock512<TFormat>(block, group, k0, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> d);
            Accumulate512<TFormat>(w0, w1, d, Vector512.Load(xb), Vector512.Load(xb + 16), ref a, ref b);
        }
        return Vector512.Sum(a + b) + PartialBlock<TFormat>(row, groups, columns, x);
    }

    /// <summary>Four consecutive rows · x, written to y[0..3]: each block of x is loaded once for the four rows, while
    /// the next four rows are requested into L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Vector512<TFormat>(byte* row0, nint rowBytes, int columns, float* x, float* y, float* k0)
        where TFormat : IWeightFormat
    {
        byte* row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector512<float> a2 = default, b2 = default, a3 = default, b3 = default;
        float* k1 = k0 + IWeightFormat.MaxBlockCoefficients, k2 = k1 + IWeightFormat.MaxBlockCoefficients, k3 = k2 + IWeightFormat.MaxBlockCoefficients;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            PrefetchNextTile<TFormat>(row0, rowBytes, StreamOffset<TFormat>(offset, group));
            Vector512<float> x0 = Vector512.Load(xb), x1 = Vector512.Load(xb + 16);
            LoadBlock512<TFormat>(row0 + offset, group, k0, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> d);
            Accumulate512<TFormat>(w0, w1, d, x0, x1, ref a0, ref b0);
            LoadBlock512<TFormat>(row1 + offset, group, k1, out w0, out w1, out d);
            Accumulate512<TFormat>(w0, w1, d, x0, x1, ref a1, ref b1);
            LoadBlock512<TFormat>(row2 + offset, group, k2, out w0, out w1, out d);
            Accumulate512<TFormat>(w0, w1, d, x0, x1, ref a2, ref b2);
            LoadBlock512<TFormat>(row3 + offset, group, k3, out w0, out w1, out d);
            Accumulate512<TFormat>(w0, w1, d, x0, x1, ref a3, ref b3);
        }
        y[0] = Vector512.Sum(a0 + b0) + PartialBlock<TFormat>(row0, groups, columns, x);
        y[1] = Vector512.Sum(a1 + b1) + PartialBlock<TFormat>(row1, groups, columns, x);
        y[2] = Vector512.Sum(a2 + b2) + PartialBlock<TFormat>(row2, groups, columns, x);
        y[3] = Vector512.Sum(a3 + b3) + PartialBlock<TFormat>(row3, groups, columns, x);
    }

    /// <summary>
    /// <see cref="Dot4Vector512"/> for the K-quants (<see cref="IWeightFormat.DecodesBlocks"/>): one super-block per
    /// loop step, the four rows' coefficients decoded together, then its eight groups in a loop of their own; the
    /// per-group walk's induction variables, its branch on entering a block and its per-group prefetch are gone. Each
    /// row accumulates its groups in the same order into the same two accumulators as the per-group walk (and so as
    /// <see cref="DotVector512"/>): the same bits.
    /// </summary>
    /// <remarks>Measured from L3 (one copy of a 2048 × 5632 matrix, 1 thread, this and the per-group walk alternated
    /// three times, Zen 5 VM, 2026-12-05), GB/s: Q2_K 6.7–6.9 → 7.2–7.6, Q3_K 7.5–7.6 → 8.4, Q4_K 11.6–11.7 →
    /// 14.3–14.4, Q5_K 10.8–11.0 → 12.4–12.5, Q6_K 12.2 → 12.2 (the old build's second round, 4.4–8.2 GB/s for every
    /// type in a slow minute, left out). Writing the eight groups out (constant group indices) was faster still for
    /// Q2_K and Q4_K but made the JIT stop inlining the heavier formats' loads (Q3_K, Q5_K, Q6_K 2–4× slower).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4SuperBlocksVector512<TFormat>(byte* row0, nint rowBytes, int columns, float* x, float* y, float* k0)
        where TFormat : IWeightFormat
    {
        // Accumulate512 is called without a block scale: these formats' loads return the weights themselves.
        Debug.Assert(!TFormat.ScalesBlockSums);
        const int Groups = 8;
        float* k1 = k0 + IWeightFormat.MaxBlockCoefficients, k2 = k1 + IWeightFormat.MaxBlockCoefficients, k3 = k2 + IWeightFormat.MaxBlockCoefficients;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector512<float> a2 = default, b2 = default, a3 = default, b3 = default;
        int blocks = columns / TFormat.BlockElements;
        for (int k = 0; k < blocks; k++)
        {
            nint offset = (nint)k * TFormat.BlockBytes;
            PrefetchNextTile(row0, rowBytes, offset, TFormat.BlockBytes);
            byte* block0 = row0 + offset, block1 = block0 + rowBytes, block2 = block1 + rowBytes, block3 = block2 + rowBytes;
            TFormat.DecodeBlock(block0, k0);
            TFormat.DecodeBlock(block1, k1);
            TFormat.DecodeBlock(block2, k2);
            TFormat.DecodeBlock(block3, k3);
            float* xb = x + k * TFormat.BlockElements;
            for (int group = 0; group < Groups; group++, xb += WeightBlock.Elements)
            {
                Vector512<float> x0 = Vector512.Load(xb), x1 = Vector512.Load(xb + 16);
                TFormat.LoadDecoded(block0, group, k0, out Vector512<float> w0, out Vector512<float> w1);
                Accumulate512<TFormat>(w0, w1, default, x0, x1, ref a0, ref b0);
                TFormat.LoadDecoded(block1, group, k1, out w0, out w1);
                Accumulate512<TFormat>(w0, w1, default, x0, x1, ref a1, ref b1);
                TFormat.LoadDecoded(block2, group, k2, out w0, out w1);
                Accumulate512<TFormat>(w0, w1, default, x0, x1, ref a2, ref b2);
                TFormat.LoadDecoded(block3, group, k3, out w0, out w1);
                Accumulate512<TFormat>(w0, w1, default, x0, x1, ref a3, ref b3);
            }
        }
        // K-quant rows are whole blocks, so there is no partial group; the per-group walk adds its zero sum all the
        // same, and so does this (x + 0 turns a −0 sum into +0, and the two tiles must agree to the bit).
        int groups = columns / WeightBlock.Elements;
        y[0] = Vector512.Sum(a0 + b0) + PartialBlock<TFormat>(row0, groups, columns, x);
        y[1] = Vector512.Sum(a1 + b1) + PartialBlock<TFormat>(row0 + rowBytes, groups, columns, x);
        y[2] = Vector512.Sum(a2 + b2) + PartialBlock<TFormat>(row0 + 2 * rowBytes, groups, columns, x);
        y[3] = Vector512.Sum(a3 + b3) + PartialBlock<TFormat>(row0 + 3 * rowBytes, groups, columns, x);
    }

    /// <summary>One 32-weight group of a row, ready for <see cref="Accumulate512"/>: the dequantized weights, or for block
    /// formats the quants and the broadcast scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LoadBlock512<TFormat>(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> scale)
        where TFormat : IWeightFormat
    {
        if (TFormat.DecodesBlocks)
        {
            // A block's coefficients are decoded when the walk enters it (group 0), once per row.
            if (group == 0)
                TFormat.DecodeBlock(block, coefficients);
            TFormat.LoadDecoded(block, group, coefficients, out w0, out w1);
            scale = default;
        }
        else if (TFormat.ScalesBlockSums)
        {
            TFormat.LoadQuants(block, group, out w0, out w1);
            scale = Vector512.Create(TFormat.Scale(block, group));
        }
        else
        {
            TFormat.Load(block, group, out w0, out w1);
            scale = default;
        }
    }

    /// <summary>Adds one block's products with x to a row's accumulators, in this path's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate512<TFormat>(Vector512<float> w0, Vector512<float> w1, Vector512<float> scale, Vector512<float> x0, Vector512<float> x1,
        ref Vector512<float> a, ref Vector512<float> b)
        where TFormat : IWeightFormat
    {
        if (TFormat.ScalesBlockSums)
        {
            // Blocks alternate between the two accumulators (the swap is a register rename), so a single row has two
            // independent FMA chains, as the element formats do.
            Vector512<float> sum = Vector512.MultiplyAddEstimate(scale, Vector512.MultiplyAddEstimate(w1, x1, w0 * x0), a);
            a = b;
            b = sum;
        }
        else
        {
            a = Vector512.MultiplyAddEstimate(w0, x0, a);
            b = Vector512.MultiplyAddEstimate(w1, x1, b);
        }
    }
}
