using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatVecKernel
{
    // A row's order of accumulation on this path, kept by every tile below (see the class remarks), in
    // LoadBlock256/Accumulate256: per block, element formats add w[0..7]·x and w[16..23]·x into `a`, w[8..15]·x and
    // w[24..31]·x into `b`; block formats add d · Σ q·x (four vectors) into one of the two, alternately. The row's
    // result is Sum(a + b) plus the partial last block.

    /// <summary>The AVX2 path of <see cref="MultiplyRows"/>: one row at a time, or four at a time (8 accumulators and
    /// 4 x registers of the 16) for formats that tile rows (<see cref="IWeightFormat.TilesRows"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyRowsVector256<TFormat>(byte* rows, nint rowBytes, int columns, float* x, float* y, int rowCount)
        where TFormat : IWeightFormat
    {
        int r = 0;
        if (TFormat.TilesRows)
        {
            for (; r <= rowCount - RowTile; r += RowTile)
                Dot4Vector256<TFormat>(rows + r * rowBytes, rowBytes, columns, x, y + r);
        }
        for (; r < rowCount; r++)
            y[r] = DotVector256<TFormat>(rows + r * rowBytes, columns, x);
    }

    /// <summary>One row · x, the row's bytes requested as one linear stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector256<TFormat>(byte* row, int columns, float* x)
        where TFormat : IWeightFormat
    {
        Vector256<float> a = default, b = default;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            byte* block = row + offset;
            PrefetchStream<TFormat>(row + StreamOffset<TFormat>(offset, group));
            LoadBlock256<TFormat>(block, group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3, out Vector256<float> d);
            Accumulate256<TFormat>(w0, w1, w2, w3, d, Vector256.Load(xb), Vector256.Load(xb + 8), Vector256.Load(xb + 16), Vector256.Load(xb + 24), ref a, ref b);
        }
        return Vector256.Sum(a + b) + PartialBlock<TFormat>(row, groups, columns, x);
    }

    /// <summary>Four consecutive rows · x, written to y[0..3]: each block of x is loaded once for the four rows, while
    /// the next four rows are requested into L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Vector256<TFormat>(byte* row0, nint rowBytes, int columns, float* x, float* y)
        where TFormat : IWeightFormat
    {
        byte* row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector256<float> a2 = default, b2 = default, a3 = default, b3 = default;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            PrefetchNextTile<TFormat>(row0, rowBytes, StreamOffset<TFormat>(offset, group));
            Vector256<float> x0 = Vector256.Load(xb), x1 = Vector256.Load(xb + 8), x2 = Vector256.Load(xb + 16), x3 = Vector256.Load(xb + 24);
            LoadBlock256<TFormat>(row0 + offset, group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3, out Vector256<float> d);
            Accumulate256<TFormat>(w0, w1, w2, w3, d, x0, x1, x2, x3, ref a0, ref b0);
            LoadBlock256<TFormat>(row1 + offset, group, out w0, out w1, out w2, out w3, out d);
            Accumulate256<TFormat>(w0, w1, w2, w3, d, x0, x1, x2, x3, ref a1, ref b1);
            LoadBlock256<TFormat>(row2 + offset, group, out w0, out w1, out w2, out w3, out d);
            Accumulate256<TFormat>(w0, w1, w2, w3, d, x0, x1, x2, x3, ref a2, ref b2);
            LoadBlock256<TFormat>(row3 + offset, group, out w0, out w1, out w2, out w3, out d);
            Accumulate256<TFormat>(w0, w1, w2, w3, d, x0, x1, x2, x3, ref a3, ref b3);
        }
        y[0] = Vector256.Sum(a0 + b0) + PartialBlock<TFormat>(row0, groups, columns, x);
        y[1] = Vector256.Sum(a1 + b1) + PartialBlock<TFormat>(row1, groups, columns, x);
        y[2] = Vector256.Sum(a2 + b2) + PartialBlock<TFormat>(row2, groups, columns, x);
        y[3] = Vector256.Sum(a3 + b3) + PartialBlock<TFormat>(row3, groups, columns, x);
    }

    /// <summary>One 32-weight group of a row, ready for <see cref="Accumulate256"/>: the dequantized weights, or for block
    /// formats the quants and the broadcast scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LoadBlock256<TFormat>(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3, out Vector256<float> scale)
        where TFormat : IWeightFormat
    {
        if (TFormat.ScalesBlockSums)
        {
            TFormat.LoadQuants(block, group, out w0, out w1, out w2, out w3);
            scale = Vector256.Create(TFormat.Scale(block, group));
        }
        else
        {
            TFormat.Load(block, group, out w0, out w1, out w2, out w3);
            scale = default;
        }
    }

    /// <summary>Adds one block's products with x to a row's accumulators, in this path's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate256<TFormat>(Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, Vector256<float> scale,
        Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3, ref Vector256<float> a, ref Vector256<float> b)
        where TFormat : IWeightFormat
    {
        if (TFormat.ScalesBlockSums)
        {
            // Blocks alternate between the two accumulators (the swap is a register rename): two independent chains.
            Vector256<float> sum = Vector256.MultiplyAddEstimate(w1, x1, w0 * x0);
            sum = Vector256.MultiplyAddEstimate(w2, x2, sum);
            sum = Vector256.MultiplyAddEstimate(w3, x3, sum);
            sum = Vector256.MultiplyAddEstimate(scale, sum, a);
            a = b;
            b = sum;
        }
        else
        {
            a = Vector256.MultiplyAddEstimate(w0, x0, a);
            b = Vector256.MultiplyAddEstimate(w1, x1, b);
            a = Vector256.MultiplyAddEstimate(w2, x2, a);
            b = Vector256.MultiplyAddEstimate(w3, x3, b);
        }
    }
}
