using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

internal static unsafe partial class MatMulKernel
{
    /// <summary>
    /// The AVX-512 microkernels. A tile's accumulators follow <see cref="MatVecKernel"/>'s AVX-512 order: element
    /// formats add <c>w[0..15] · x</c> of every group into <c>a</c> (first pass) and <c>w[16..31] · x</c> into
    /// <c>b</c> (second pass); scaled-sum formats add <c>d · (q[0..15] · x + q[16..31] · x)</c> of the even groups
    /// into one and of the odd groups into the other (the matrix-vector kernel's two alternating accumulators).
    /// </summary>
    private readonly struct Vector512Tiles : ITilePath
    {
        /// <summary>Vectors per pass in a tile's accumulators: <see cref="MaxRowTile"/> rows × <see cref="TokenTile"/> tokens.</summary>
        private const int PassVectors = MaxRowTile * TokenTile;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int RowTile<TFormat>()
            where TFormat : IWeightFormat
            => TFormat.ScalesBlockSums ? 2 : 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pack<TFormat>(byte* row, int firstGroup, int groups, float* weights, float* scales, float* coefficients)
            where TFormat : IWeightFormat
        {
            nint offset = MatVecKernel.BlockOffset<TFormat>(firstGroup);
            int group = MatVecKernel.GroupInBlock<TFormat>(firstGroup);
            for (int k = 0; k < groups; k++, MatVecKernel.NextGroup<TFormat>(ref offset, ref group))
            {
                MatVecKernel.LoadBlock512<TFormat>(row + offset, group, coefficients, out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> scale);
                w0.Store(weights + k * WeightBlock.Elements);
                w1.Store(weights + k * WeightBlock.Elements + 16);
                if (TFormat.ScalesBlockSums)
                    scales[k] = scale.ToScalar();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Tile<TFormat>(float** weights, float** scales, float** xs, int groups, float* accumulators)
            where TFormat : IWeightFormat
        {
            var acc = (Vector512<float>*)accumulators;
            if (TFormat.ScalesBlockSums)
            {
                ScaledPass512(weights[0], weights[1], scales[0], scales[1], xs, 0, groups, acc);
                ScaledPass512(weights[0], weights[1], scales[0], scales[1], xs, 1, groups, acc + PassVectors);
            }
            else
            {
                nint end = (nint)groups * WeightBlock.Elements;
                ElementPass512(weights[0], weights[1], weights[2], weights[3], xs, 0, end, acc);
                ElementPass512(weights[0], weights[1], weights[2], weights[3], xs, 16, end, acc + PassVectors);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Finish(float* accumulators, int row, int token)
        {
            var acc = (Vector512<float>*)accumulators + row * TokenTile + token;
            return Vector512.Sum(acc[0] + acc[PassVectors]);
        }
    }

    /// <summary>One pass of the AVX-512 element microkernel: 4 rows × 6 tokens, one accumulator each (24 zmm
    /// registers), over the vectors at <c>start, start + 32, …</c> of the packed rows and of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ElementPass512(float* w0, float* w1, float* w2, float* w3, float** xs, nint start, nint end, Vector512<float>* acc)
    {
        float* x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3], x4 = xs[4], x5 = xs[5];
        Vector512<float> a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3], a04 = acc[4], a05 = acc[5];
        Vector512<float> a10 = acc[6], a11 = acc[7], a12 = acc[8], a13 = acc[9], a14 = acc[10], a15 = acc[11];
        Vector512<float> a20 = acc[12], a21 = acc[13], a22 = acc[14], a23 = acc[15], a24 = acc[16], a25 = acc[17];
        Vector512<float> a30 = acc[18], a31 = acc[19], a32 = acc[20], a33 = acc[21], a34 = acc[22], a35 = acc[23];
        for (nint c = start; c < end; c += WeightBlock.Elements)
        {
            Vector512<float> v0 = Vector512.Load(w0 + c), v1 = Vector512.Load(w1 + c), v2 = Vector512.Load(w2 + c), v3 = Vector512.Load(w3 + c);
            Column512(v0, v1, v2, v3, Vector512.Load(x0 + c), ref a00, ref a10, ref a20, ref a30);
            Column512(v0, v1, v2, v3, Vector512.Load(x1 + c), ref a01, ref a11, ref a21, ref a31);
            Column512(v0, v1, v2, v3, Vector512.Load(x2 + c), ref a02, ref a12, ref a22, ref a32);
            Column512(v0, v1, v2, v3, Vector512.Load(x3 + c), ref a03, ref a13, ref a23, ref a33);
            Column512(v0, v1, v2, v3, Vector512.Load(x4 + c), ref a04, ref a14, ref a24, ref a34);
            Column512(v0, v1, v2, v3, Vector512.Load(x5 + c), ref a05, ref a15, ref a25, ref a35);
        }
        acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03; acc[4] = a04; acc[5] = a05;
        acc[6] = a10; acc[7] = a11; acc[8] = a12; acc[9] = a13; acc[10] = a14; acc[11] = a15;
        acc[12] = a20; acc[13] = a21; acc[14] = a22; acc[15] = a23; acc[16] = a24; acc[17] = a25;
        acc[18] = a30; acc[19] = a31; acc[20] = a32; acc[21] = a33; acc[22] = a34; acc[23] = a35;
    }

    /// <summary>One pass of the AVX-512 scaled-sum microkernel: 2 rows × 6 tokens, one accumulator each, over the
    /// groups <c>first, first + 2, …</c> (one of the two alternating chains of the matrix-vector kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaledPass512(float* w0, float* w1, float* s0, float* s1, float** xs, int first, int groups, Vector512<float>* acc)
    {
        float* x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3], x4 = xs[4], x5 = xs[5];
        Vector512<float> a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3], a04 = acc[4], a05 = acc[5];
        Vector512<float> a10 = acc[6], a11 = acc[7], a12 = acc[8], a13 = acc[9], a14 = acc[10], a15 = acc[11];
        for (int k = first; k < groups; k += 2)
        {
            nint c = (nint)k * WeightBlock.Elements;
            Vector512<float> p0 = Vector512.Load(w0 + c), q0 = Vector512.Load(w0 + c + 16), d0 = Vector512.Create(s0[k]);
            Vector512<float> p1 = Vector512.Load(w1 + c), q1 = Vector512.Load(w1 + c + 16), d1 = Vector512.Create(s1[k]);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x0 + c), Vector512.Load(x0 + c + 16), ref a00, ref a10);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x1 + c), Vector512.Load(x1 + c + 16), ref a01, ref a11);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x2 + c), Vector512.Load(x2 + c + 16), ref a02, ref a12);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x3 + c), Vector512.Load(x3 + c + 16), ref a03, ref a13);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x4 + c), Vector512.Load(x4 + c + 16), ref a04, ref a14);
            ScaledColumn512(p0, q0, d0, p1, q1, d1, Vector512.Load(x5 + c), Vector512.Load(x5 + c + 16), ref a05, ref a15);
        }
        acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03; acc[4] = a04; acc[5] = a05;
        acc[6] = a10; acc[7] = a11; acc[8] = a12; acc[9] = a13; acc[10] = a14; acc[11] = a15;
    }

    /// <summary>One x vector against four rows' weight vectors, in the matrix-vector kernel's operand order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column512(Vector512<float> w0, Vector512<float> w1, Vector512<float> w2, Vector512<float> w3, Vector512<float> x,
        ref Vector512<float> a0, ref Vector512<float> a1, ref Vector512<float> a2, ref Vector512<float> a3)
    {
        a0 = Vector512.MultiplyAddEstimate(w0, x, a0);
        a1 = Vector512.MultiplyAddEstimate(w1, x, a1);
        a2 = Vector512.MultiplyAddEstimate(w2, x, a2);
        a3 = Vector512.MultiplyAddEstimate(w3, x, a3);
    }

    /// <summary>One token's group of x against two rows' quants: <c>a += d · (q[16..31] · x1 + q[0..15] · x0)</c>,
    /// the matrix-vector kernel's expression.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaledColumn512(Vector512<float> p0, Vector512<float> q0, Vector512<float> d0, Vector512<float> p1, Vector512<float> q1, Vector512<float> d1,
        Vector512<float> x0, Vector512<float> x1, ref Vector512<float> a0, ref Vector512<float> a1)
    {
        a0 = Vector512.MultiplyAddEstimate(d0, Vector512.MultiplyAddEstimate(q0, x1, p0 * x0), a0);
        a1 = Vector512.MultiplyAddEstimate(d1, Vector512.MultiplyAddEstimate(q1, x1, p1 * x0), a1);
    }
}
