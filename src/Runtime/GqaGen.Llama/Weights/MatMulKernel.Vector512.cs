using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatMulKernel
{
    /// <summary>The AVX-512 tiles: 12 rows × 32 tokens.</summary>
    private readonly struct Vector512Tiles : ITilePath
    {
        public static int RowTile => 12;

        public static int TokenTile => 32;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* coefficients)
            where TFormat : IWeightFormat
        {
            nint offset = MatVecKernel.BlockOffset<TFormat>(firstGroup);
            int group = MatVecKernel.GroupInBlock<TFormat>(firstGroup);
            for (int k = 0; k < groups; k++, MatVecKernel.NextGroup<TFormat>(ref offset, ref group))
            {
                PrefetchNextChunk<TFormat>(row + offset);
                MatVecKernel.LoadBlock512<TFormat>(row + offset, group, coefficients, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> scale);
                if (TFormat.ScalesBlockSums)
                {
                    // The format's weights d · q: exact products, so the bits of its Load.
                    w0 *= scale;
                    w1 *= scale;
                }
                w0.Store(weights + k * WeightBlock.Elements);
                w1.Store(weights + k * WeightBlock.Elements + 16);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile(float* panel, float* xt, nint stride, int columns, float* sums) => Tile512(panel, xt, stride, columns, sums);
    }

    /// <summary>
    /// The AVX-512 microkernel: 12 rows × 32 tokens (24 accumulators of 16 tokens each, in
    /// registers). Each step broadcasts one weight of each row and multiplies it into 2 vectors of x (the tokens'
    /// column c, contiguous in the transposed block), so every weight loaded serves 32 tokens and every x vector
    /// 12 rows; the tile's sums start at zero and are added to <paramref name="sums"/> at the end (rows
    /// <paramref name="stride"/> floats apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* panel, float* xt, nint stride, int columns, float* sums)
    {
        Vector512<float> a0_0 = default, a0_1 = default;
        Vector512<float> a1_0 = default, a1_1 = default;
        Vector512<float> a2_0 = default, a2_1 = default;
        Vector512<float> a3_0 = default, a3_1 = default;
        Vector512<float> a4_0 = default, a4_1 = default;
        Vector512<float> a5_0 = default, a5_1 = default;
        Vector512<float> a6_0 = default, a6_1 = default;
        Vector512<float> a7_0 = default, a7_1 = default;
        Vector512<float> a8_0 = default, a8_1 = default;
        Vector512<float> a9_0 = default, a9_1 = default;
        Vector512<float> a10_0 = default, a10_1 = default;
        Vector512<float> a11_0 = default, a11_1 = default;
        for (nint c = 0; c < columns; c++, xt += stride)
        {
            Vector512<float> x0 = Vector512.Load(xt), x1 = Vector512.Load(xt + 16);
            Broadcast512(panel[c], x0, x1, ref a0_0, ref a0_1);
            Broadcast512(panel[c + 1 * ChunkColumns], x0, x1, ref a1_0, ref a1_1);
            Broadcast512(panel[c + 2 * ChunkColumns], x0, x1, ref a2_0, ref a2_1);
            Broadcast512(panel[c + 3 * ChunkColumns], x0, x1, ref a3_0, ref a3_1);
            Broadcast512(panel[c + 4 * ChunkColumns], x0, x1, ref a4_0, ref a4_1);
            Broadcast512(panel[c + 5 * ChunkColumns], x0, x1, ref a5_0, ref a5_1);
            Broadcast512(panel[c + 6 * ChunkColumns], x0, x1, ref a6_0, ref a6_1);
            Broadcast512(panel[c + 7 * ChunkColumns], x0, x1, ref a7_0, ref a7_1);
            Broadcast512(panel[c + 8 * ChunkColumns], x0, x1, ref a8_0, ref a8_1);
            Broadcast512(panel[c + 9 * ChunkColumns], x0, x1, ref a9_0, ref a9_1);
            Broadcast512(panel[c + 10 * ChunkColumns], x0, x1, ref a10_0, ref a10_1);
            Broadcast512(panel[c + 11 * ChunkColumns], x0, x1, ref a11_0, ref a11_1);
        }
        AddTo(sums, a0_0);
        AddTo(sums + 16, a0_1);
        AddTo(sums + 1 * stride, a1_0);
        AddTo(sums + 1 * stride + 16, a1_1);
        AddTo(sums + 2 * stride, a2_0);
        AddTo(sums + 2 * stride + 16, a2_1);
        AddTo(sums + 3 * stride, a3_0);
        AddTo(sums + 3 * stride + 16, a3_1);
        AddTo(sums + 4 * stride, a4_0);
        AddTo(sums + 4 * stride + 16, a4_1);
        AddTo(sums + 5 * stride, a5_0);
        AddTo(sums + 5 * stride + 16, a5_1);
        AddTo(sums + 6 * stride, a6_0);
        AddTo(sums + 6 * stride + 16, a6_1);
        AddTo(sums + 7 * stride, a7_0);
        AddTo(sums + 7 * stride + 16, a7_1);
        AddTo(sums + 8 * stride, a8_0);
        AddTo(sums + 8 * stride + 16, a8_1);
        AddTo(sums + 9 * stride, a9_0);
        AddTo(sums + 9 * stride + 16, a9_1);
        AddTo(sums + 10 * stride, a10_0);
        AddTo(sums + 10 * stride + 16, a10_1);
        AddTo(sums + 11 * stride, a11_0);
        AddTo(sums + 11 * stride + 16, a11_1);
    }

    /// <summary>One weight times two vectors of tokens' x, added to its row's two accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Broadcast512(float weight, Vector512<float> x0, Vector512<float> x1, ref Vector512<float> a0, ref Vector512<float> a1)
    {
        var w = Vector512.Create(weight);
        a0 = Vector512.MultiplyAddEstimate(w, x0, a0);
        a1 = Vector512.MultiplyAddEstimate(w, x1, a1);
    }
}
