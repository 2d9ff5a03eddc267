using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatMulKernel
{
    /// <summary>
    /// The AVX2 microkernels (16 ymm registers, so half the rows of the AVX-512 tiles). A tile's accumulators follow
    /// <see cref="MatVecKernel"/>'s AVX2 order: element formats add <c>w[0..7] · x</c> then <c>w[16..23] · x</c> of
    /// every group into <c>a</c> (first pass), <c>w[8..15] · x</c> then <c>w[24..31] · x</c> into <c>b</c> (second
    /// pass); scaled-sum formats add <c>d · Σ q · x</c> (four vectors, in order) of the even groups into one and of the
    /// odd groups into the other.
    /// </summary>
    private readonly struct Vector256Tiles : ITilePath
    {
        /// <summary>Vectors per pass in a tile's accumulators (the layout is the AVX-512 one, in 8-float vectors).</summary>
        private const int PassVectors = MaxRowTile * TokenTile;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int RowTile<TFormat>()
            where TFormat : IWeightFormat
            => TFormat.ScalesBlockSums ? 1 : 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* scales, float* coefficients)
            where TFormat : IWeightFormat
        {
            nint offset = MatVecKernel.BlockOffset<TFormat>(firstGroup);
            int group = MatVecKernel.GroupInBlock<TFormat>(firstGroup);
            for (int k = 0; k < groups; k++, MatVecKernel.NextGroup<TFormat>(ref offset, ref group))
            {
                MatVecKernel.LoadBlock256<TFormat>(row + offset, group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3, out Vector256<float> scale);
                float* destination = weights + k * WeightBlock.Elements;
                w0.Store(destination);
                w1.Store(destination + 8);
                w2.Store(destination + 16);
                w3.Store(destination + 24);
                if (TFormat.ScalesBlockSums)
                    scales[k] = scale.ToScalar();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile<TFormat>(float** weights, float** scales, float** xs, int groups, float* accumulators)
            where TFormat : IWeightFormat
        {
            var acc = (Vector256<float>*)accumulators;
            if (TFormat.ScalesBlockSums)
            {
                ScaledPass256(weights[0], scales[0], xs, 0, groups, acc);
                ScaledPass256(weights[0], scales[0], xs, 1, groups, acc + PassVectors);
            }
            else
            {
                nint end = (nint)groups * WeightBlock.Elements;
                ElementPass256(weights[0], weights[1], xs, 0, end, acc);
                ElementPass256(weights[0], weights[1], xs, 8, end, acc + PassVectors);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Finish(float* accumulators, int row, int token)
        {
            var acc = (Vector256<float>*)accumulators + row * TokenTile + token;
            return Vector256.Sum(acc[0] + acc[PassVectors]);
        }
    }

    /// <summary>One pass of the AVX2 element microkernel: 2 rows × 6 tokens, one accumulator each (12 ymm
    /// registers), over the vectors at <c>start, start + 16, start + 32, …</c> (the first and third, or second and
    /// fourth, vector of each group) of the packed rows and of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ElementPass256(float* w0, float* w1, float** xs, nint start, nint end, Vector256<float>* acc)
    {
        float* x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3], x4 = xs[4], x5 = xs[5];
        Vector256<float> a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3], a04 = acc[4], a05 = acc[5];
        Vector256<float> a10 = acc[6], a11 = acc[7], a12 = acc[8], a13 = acc[9], a14 = acc[10], a15 = acc[11];
        for (nint c = start; c < end; c += 16)
        {
            Vector256<float> v0 = Vector256.Load(w0 + c), v1 = Vector256.Load(w1 + c);
            Column256(v0, v1, Vector256.Load(x0 + c), ref a00, ref a10);
            Column256(v0, v1, Vector256.Load(x1 + c), ref a01, ref a11);
            Column256(v0, v1, Vector256.Load(x2 + c), ref a02, ref a12);
            Column256(v0, v1, Vector256.Load(x3 + c), ref a03, ref a13);
            Column256(v0, v1, Vector256.Load(x4 + c), ref a04, ref a14);
            Column256(v0, v1, Vector256.Load(x5 + c), ref a05, ref a15);
        }
        acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03; acc[4] = a04; acc[5] = a05;
        acc[6] = a10; acc[7] = a11; acc[8] = a12; acc[9] = a13; acc[10] = a14; acc[11] = a15;
    }

    /// <summary>One pass of the AVX2 scaled-sum microkernel: 1 row × 6 tokens, one accumulator each, over the groups
    /// <c>first, first + 2, …</c> (one of the two alternating chains of the matrix-vector kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaledPass256(float* w0, float* s0, float** xs, int first, int groups, Vector256<float>* acc)
    {
        float* x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3], x4 = xs[4], x5 = xs[5];
        Vector256<float> a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3], a04 = acc[4], a05 = acc[5];
        for (int k = first; k < groups; k += 2)
        {
            nint c = (nint)k * WeightBlock.Elements;
            Vector256<float> q0 = Vector256.Load(w0 + c), q1 = Vector256.Load(w0 + c + 8), q2 = Vector256.Load(w0 + c + 16), q3 = Vector256.Load(w0 + c + 24);
            Vector256<float> d = Vector256.Create(s0[k]);
            ScaledColumn256(q0, q1, q2, q3, d, x0 + c, ref a00);
            ScaledColumn256(q0, q1, q2, q3, d, x1 + c, ref a01);
            ScaledColumn256(q0, q1, q2, q3, d, x2 + c, ref a02);
            ScaledColumn256(q0, q1, q2, q3, d, x3 + c, ref a03);
            ScaledColumn256(q0, q1, q2, q3, d, x4 + c, ref a04);
            ScaledColumn256(q0, q1, q2, q3, d, x5 + c, ref a05);
        }
        acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03; acc[4] = a04; acc[5] = a05;
    }

    /// <summary>One x vector against two rows' weight vectors, in the matrix-vector kernel's operand order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column256(Vector256<float> w0, Vector256<float> w1, Vector256<float> x, ref Vector256<float> a0, ref Vector256<float> a1)
    {
        a0 = Vector256.MultiplyAddEstimate(w0, x, a0);
        a1 = Vector256.MultiplyAddEstimate(w1, x, a1);
    }

    /// <summary>One token's group of x (at <paramref name="x"/>) against a row's quants: <c>a += d · Σ q · x</c>, the
    /// matrix-vector kernel's expression.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaledColumn256(Vector256<float> q0, Vector256<float> q1, Vector256<float> q2, Vector256<float> q3, Vector256<float> d, float* x, ref Vector256<float> a)
    {
        Vector256<float> sum = Vector256.MultiplyAddEstimate(q1, Vector256.Load(x + 8), q0 * Vector256.Load(x));
        sum = Vector256.MultiplyAddEstimate(q2, Vector256.Load(x + 16), sum);
        sum = Vector256.MultiplyAddEstimate(q3, Vector256.Load(x + 24), sum);
        a = Vector256.MultiplyAddEstimate(d, sum, a);
    }
}
