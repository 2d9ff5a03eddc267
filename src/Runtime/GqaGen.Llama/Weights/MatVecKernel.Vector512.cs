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
                Dot4Vector512<TFormat>(rows + r * rowBytes, rowBytes, columns, x, y + r, coefficients);
        }
        for (; r < rowCount; r++)
            y[r] = DotVector512<TFormat>(rows + r * rowBytes, columns, x, coefficients);
    }

    /// <summary>
    /// The AVX-512 path of <see cref="MultiplyTokens"/>: tiles of two rows × four tokens (16 accumulators, 4 to 6 weight
    /// and 2 x registers of the 32), so each block of weights is dequantized once per four tokens; leftover tokens and
    /// the odd last row use the narrower tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyTokensVector512<TFormat>(byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TFormat : IWeightFormat
    {
        float* coefficients = stackalloc float[RowTile * IWeightFormat.MaxBlockCoefficients]; // As in MultiplyRowsVector512.
        int r = 0;
        for (; r <= rowCount - 2; r += 2)
        {
            byte* row = rows + r * rowBytes;
            int t = 0;
            for (; t <= tokens - 4; t += 4)
                Dot2x4Vector512<TFormat>(row, rowBytes, columns, x + (nint)t * columns, y + (nint)t * yStride + r, yStride, coefficients);
            for (; t < tokens; t++)
            {
                y[(nint)t * yStride + r] = DotVector512<TFormat>(row, columns, x + (nint)t * columns, coefficients);
                y[(nint)t * yStride + r + 1] = DotVector512<TFormat>(row + rowBytes, columns, x + (nint)t * columns, coefficients);
            }
        }
        if (r < rowCount)
        {
            byte* row = rows + r * rowBytes;
            int t = 0;
            for (; t <= tokens - 4; t += 4)
                Dot1x4Vector512<TFormat>(row, columns, x + (nint)t * columns, y + (nint)t * yStride + r, yStride, coefficients);
            for (; t < tokens; t++)
                y[(nint)t * yStride + r] = DotVector512<TFormat>(row, columns, x + (nint)t * columns, coefficients);
        }
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
    /// Two consecutive rows · four tokens' x (rows of <paramref name="columns"/> floats), written to
    /// <c>y[t · yStride + r]</c>: each block of weights is dequantized once for the four tokens.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2x4Vector512<TFormat>(byte* row0, nint rowBytes, int columns, float* x, float* y, int yStride, float* k0)
        where TFormat : IWeightFormat
    {
        byte* row1 = row0 + rowBytes;
        float* x0 = x, x1 = x0 + columns, x2 = x1 + columns, x3 = x2 + columns;
        // a{row}{token}, b{row}{token}: the two accumulators of one output.
        Vector512<float> a00 = default, b00 = default, a01 = default, b01 = default, a02 = default, b02 = default, a03 = default, b03 = default;
        Vector512<float> a10 = default, b10 = default, a11 = default, b11 = default, a12 = default, b12 = default, a13 = default, b13 = default;
        float* k1 = k0 + IWeightFormat.MaxBlockCoefficients;
        int groups = columns / WeightBlock.Elements;
        nint offset = 0;
        int group = 0;
        for (int c = 0, k = 0; k < groups; k++, c += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            PrefetchStream<TFormat>(row0 + StreamOffset<TFormat>(offset, group));
            PrefetchStream<TFormat>(row1 + StreamOffset<TFormat>(offset, group));
            LoadBlock512<TFormat>(row0 + offset, group, k0, out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> dv);
            LoadBlock512<TFormat>(row1 + offset, group, k1, out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> du);
            Vector512<float> xl = Vector512.Load(x0 + c), xh = Vector512.Load(x0 + c + 16);
            Accumulate512<TFormat>(v0, v1, dv, xl, xh, ref a00, ref b00);
            Accumulate512<TFormat>(u0, u1, du, xl, xh, ref a10, ref b10);
            xl = Vector512.Load(x1 + c);
            xh = Vector512.Load(x1 + c + 16);
            Accumulate512<TFormat>(v0, v1, dv, xl, xh, ref a01, ref b01);
            Accumulate512<TFormat>(u0, u1, du, xl, xh, ref a11, ref b11);
            xl = Vector512.Load(x2 + c);
            xh = Vector512.Load(x2 + c + 16);
            Accumulate512<TFormat>(v0, v1, dv, xl, xh, ref a02, ref b02);
            Accumulate512<TFormat>(u0, u1, du, xl, xh, ref a12, ref b12);
            xl = Vector512.Load(x3 + c);
            xh = Vector512.Load(x3 + c + 16);
            Accumulate512<TFormat>(v0, v1, dv, xl, xh, ref a03, ref b03);
            Accumulate512<TFormat>(u0, u1, du, xl, xh, ref a13, ref b13);
        }
        y[0] = Vector512.Sum(a00 + b00) + PartialBlock<TFormat>(row0, groups, columns, x0);
        y[1] = Vector512.Sum(a10 + b10) + PartialBlock<TFormat>(row1, groups, columns, x0);
        y += yStride;
        y[0] = Vector512.Sum(a01 + b01) + PartialBlock<TFormat>(row0, groups, columns, x1);
        y[1] = Vector512.Sum(a11 + b11) + PartialBlock<TFormat>(row1, groups, columns, x1);
        y += yStride;
        y[0] = Vector512.Sum(a02 + b02) + PartialBlock<TFormat>(row0, groups, columns, x2);
        y[1] = Vector512.Sum(a12 + b12) + PartialBlock<TFormat>(row1, groups, columns, x2);
        y += yStride;
        y[0] = Vector512.Sum(a03 + b03) + PartialBlock<TFormat>(row0, groups, columns, x3);
        y[1] = Vector512.Sum(a13 + b13) + PartialBlock<TFormat>(row1, groups, columns, x3);
    }

    /// <summary>One row · four tokens' x, written to <c>y[t · yStride]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x4Vector512<TFormat>(byte* row, int columns, float* x, float* y, int yStride, float* k0)
        where TFormat : IWeightFormat
    {
        float* x0 = x, x1 = x0 + columns, x2 = x1 + columns, x3 = x2 + columns;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        int groups = columns / WeightBlock.Elements;
        nint offset = 0;
        int group = 0;
        for (int c = 0, k = 0; k < groups; k++, c += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            byte* block = row + offset;
            PrefetchStream<TFormat>(row + StreamOffset<TFormat>(offset, group));
            LoadBlock512<TFormat>(block, group, k0, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> d);
            Accumulate512<TFormat>(w0, w1, d, Vector512.Load(x0 + c), Vector512.Load(x0 + c + 16), ref a0, ref b0);
            Accumulate512<TFormat>(w0, w1, d, Vector512.Load(x1 + c), Vector512.Load(x1 + c + 16), ref a1, ref b1);
            Accumulate512<TFormat>(w0, w1, d, Vector512.Load(x2 + c), Vector512.Load(x2 + c + 16), ref a2, ref b2);
            Accumulate512<TFormat>(w0, w1, d, Vector512.Load(x3 + c), Vector512.Load(x3 + c + 16), ref a3, ref b3);
        }
        y[0] = Vector512.Sum(a0 + b0) + PartialBlock<TFormat>(row, groups, columns, x0);
        y[yStride] = Vector512.Sum(a1 + b1) + PartialBlock<TFormat>(row, groups, columns, x1);
        y[2 * (nint)yStride] = Vector512.Sum(a2 + b2) + PartialBlock<TFormat>(row, groups, columns, x2);
        y[3 * (nint)yStride] = Vector512.Sum(a3 + b3) + PartialBlock<TFormat>(row, groups, columns, x3);
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
