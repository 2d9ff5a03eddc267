using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatMulKernel
{
    /// <summary>The AVX2 tiles: 6 rows × 16 tokens (12 of the 16 ymm registers).</summary>
    private readonly struct Vector256Tiles : ITilePath
    {
        public static int RowTile => 6;

        public static int TokenTile => 16;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* coefficients)
            where TFormat : IWeightFormat
        {
            nint offset = MatVecKernel.BlockOffset<TFormat>(firstGroup);
            int group = MatVecKernel.GroupInBlock<TFormat>(firstGroup);
            for (int k = 0; k < groups; k++, MatVecKernel.NextGroup<TFormat>(ref offset, ref group))
            {
                PrefetchNextChunk<TFormat>(row + offset);
                MatVecKernel.LoadBlock256<TFormat>(row + offset, group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3, out Vector256<float> scale);
                if (TFormat.ScalesBlockSums)
                {
                    // The format's weights d · q: exact products, so the bits of its Load.
                    w0 *= scale;
                    w1 *= scale;
                    w2 *= scale;
                    w3 *= scale;
                }
                float* destination = weights + k * WeightBlock.Elements;
                w0.Store(destination);
                w1.Store(destination + 8);
                w2.Store(destination + 16);
                w3.Store(destination + 24);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile(float* panel, float* xt, nint stride, int columns, float* sums) => Tile256(panel, xt, stride, columns, sums);
    }

    /// <summary>
    /// The AVX2 microkernel: 6 rows × 16 tokens (12 accumulators of 8 tokens each, in
    /// registers). Each step broadcasts one weight of each row and multiplies it into 2 vectors of x (the tokens'
    /// column c, contiguous in the transposed block), so every weight loaded serves 16 tokens and every x vector
    /// 6 rows; the tile's sums start at zero and are added to <paramref name="sums"/> at the end (rows
    /// <paramref name="stride"/> floats apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(float* panel, float* xt, nint stride, int columns, float* sums)
    {
        Vector256<float> a0_0 = default, a0_1 = default;
        Vector256<float> a1_0 = default, a1_1 = default;
        Vector256<float> a2_0 = default, a2_1 = default;
        Vector256<float> a3_0 = default, a3_1 = default;
        Vector256<float> a4_0 = default, a4_1 = default;
        Vector256<float> a5_0 = default, a5_1 = default;
        for (nint c = 0; c < columns; c++, xt += stride)
        {
            Vector256<float> x0 = Vector256.Load(xt), x1 = Vector256.Load(xt + 8);
            Broadcast256(panel[c], x0, x1, ref a0_0, ref a0_1);
            Broadcast256(panel[c + 1 * ChunkColumns], x0, x1, ref a1_0, ref a1_1);
            Broadcast256(panel[c + 2 * ChunkColumns], x0, x1, ref a2_0, ref a2_1);
            Broadcast256(panel[c + 3 * ChunkColumns], x0, x1, ref a3_0, ref a3_1);
            Broadcast256(panel[c + 4 * ChunkColumns], x0, x1, ref a4_0, ref a4_1);
            Broadcast256(panel[c + 5 * ChunkColumns], x0, x1, ref a5_0, ref a5_1);
        }
        AddTo(sums, a0_0);
        AddTo(sums + 8, a0_1);
        AddTo(sums + 1 * stride, a1_0);
        AddTo(sums + 1 * stride + 8, a1_1);
        AddTo(sums + 2 * stride, a2_0);
        AddTo(sums + 2 * stride + 8, a2_1);
        AddTo(sums + 3 * stride, a3_0);
        AddTo(sums + 3 * stride + 8, a3_1);
        AddTo(sums + 4 * stride, a4_0);
        AddTo(sums + 4 * stride + 8, a4_1);
        AddTo(sums + 5 * stride, a5_0);
        AddTo(sums + 5 * stride + 8, a5_1);
    }

    /// <summary>One weight times two vectors of tokens' x, added to its row's two accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Broadcast256(float weight, Vector256<float> x0, Vector256<float> x1, ref Vector256<float> a0, ref Vector256<float> a1)
    {
        var w = Vector256.Create(weight);
        a0 = Vector256.MultiplyAddEstimate(w, x0, a0);
        a1 = Vector256.MultiplyAddEstimate(w, x1, a1);
    }
}
