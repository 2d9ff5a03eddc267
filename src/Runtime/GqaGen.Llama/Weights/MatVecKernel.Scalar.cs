using System.Runtime.CompilerServices;

namespace GqaGen.Llama;

internal static unsafe partial class MatVecKernel
{
    // Each row is one running sum over its whole groups in column order (scaled-sum formats add d · Σ q·x per group, as
    // the vector paths do), plus the partial last block.

    /// <summary>The scalar path of <see cref="MultiplyRows"/>: four rows at a time (four independent sums), then one
    /// at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyRowsScalar<TFormat>(byte* rows, nint rowBytes, int columns, float* x, float* y, int rowCount)
        where TFormat : IWeightFormat
    {
        int r = 0;
        for (; r <= rowCount - RowTile; r += RowTile)
            Dot4Scalar<TFormat>(rows + r * rowBytes, rowBytes, columns, x, y + r);
        for (; r < rowCount; r++)
            y[r] = DotScalar<TFormat>(rows + r * rowBytes, columns, x);
    }

    /// <summary>One token block of <see cref="MultiplyTokensScalarBlocked"/>: row by row, every token of the block
    /// against the row while it is in L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyTokensScalar<TFormat>(byte* rows, nint rowBytes, int columns, float* x, int tokens, float* y, int yStride, int rowCount)
        where TFormat : IWeightFormat
    {
        for (int r = 0; r < rowCount; r++)
        {
            byte* row = rows + r * rowBytes;
            for (int t = 0; t < tokens; t++)
                y[(nint)t * yStride + r] = DotScalar<TFormat>(row, columns, x + (nint)t * columns);
        }
    }

    /// <summary>One row · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotScalar<TFormat>(byte* row, int columns, float* x)
        where TFormat : IWeightFormat
    {
        float sum = 0;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
            sum = AccumulateGroup<TFormat>(row + offset, group, xb, sum);
        return sum + PartialBlock<TFormat>(row, groups, columns, x);
    }

    /// <summary>Four consecutive rows · x, written to y[0..3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Scalar<TFormat>(byte* row0, nint rowBytes, int columns, float* x, float* y)
        where TFormat : IWeightFormat
    {
        byte* row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
        float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
        int groups = columns / WeightBlock.Elements;
        float* xb = x;
        nint offset = 0;
        int group = 0;
        for (int k = 0; k < groups; k++, xb += WeightBlock.Elements, NextGroup<TFormat>(ref offset, ref group))
        {
            sum0 = AccumulateGroup<TFormat>(row0 + offset, group, xb, sum0);
            sum1 = AccumulateGroup<TFormat>(row1 + offset, group, xb, sum1);
            sum2 = AccumulateGroup<TFormat>(row2 + offset, group, xb, sum2);
            sum3 = AccumulateGroup<TFormat>(row3 + offset, group, xb, sum3);
        }
        y[0] = sum0 + PartialBlock<TFormat>(row0, groups, columns, x);
        y[1] = sum1 + PartialBlock<TFormat>(row1, groups, columns, x);
        y[2] = sum2 + PartialBlock<TFormat>(row2, groups, columns, x);
        y[3] = sum3 + PartialBlock<TFormat>(row3, groups, columns, x);
    }

    /// <summary>A row's running sum <paramref name="sum"/> after one more whole group: plus <c>d · Σ q·x</c> for
    /// formats that scale group sums, plus each product in column order for the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float AccumulateGroup<TFormat>(byte* block, int group, float* x, float sum)
        where TFormat : IWeightFormat
    {
        int first = group * WeightBlock.Elements;
        if (TFormat.ScalesBlockSums)
        {
            float dot = 0;
            for (int i = 0; i < WeightBlock.Elements; i++)
                dot += TFormat.Quant(block, first + i) * x[i];
            return sum + TFormat.Scale(block, group) * dot;
        }
        for (int i = 0; i < WeightBlock.Elements; i++)
            sum += TFormat.Element(block, first + i) * x[i];
        return sum;
    }
}
