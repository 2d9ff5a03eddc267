using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// The AVX2 steps of a prefill lane tile (<see cref="ILaneSteps"/>): 16 query rows in the lanes of two Vector256.
/// With 16 registers, scores take 4 positions × 2 vectors (8 accumulators, 2 loads and 4 broadcasts per 8 FMAs) and
/// values 4 elements × 2 vectors.
/// </summary>
internal readonly unsafe struct Lanes256 : ILaneSteps
{
    /// <inheritdoc/>
    public static int Rows => GqaKernelNumbers.PrefillLaneRows(GqaKernelNumbers.Avx2Width);

    /// <inheritdoc/>
    public static bool Applies => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* sT, int n, float* runningMax, float* runningSum, float* blockMax, float* alpha)
    {
        Vector256<float> max0 = Vector256.Load(runningMax), max1 = Vector256.Load(runningMax + 8);
        Vector256<float> newMax0 = Avx.Max(max0, Vector256.Load(blockMax)), newMax1 = Avx.Max(max1, Vector256.Load(blockMax + 8));
        Vector256<float> shift0 = ZeroWhereNegativeInfinity(newMax0), shift1 = ZeroWhereNegativeInfinity(newMax1);
        Vector256<float> alpha0 = FastExp.Exp(max0 - shift0), alpha1 = FastExp.Exp(max1 - shift1);
        Vector256<float> sum0 = Vector256<float>.Zero, sum1 = sum0;
        for (int p = 0; p < n; p++)
        {
            float* s = sT + p * Rows;
            Vector256<float> p0 = FastExp.Exp(Vector256.Load(s) - shift0), p1 = FastExp.Exp(Vector256.Load(s + 8) - shift1);
            p0.Store(s);
            p1.Store(s + 8);
            sum0 += p0;
            sum1 += p1;
        }
        Vector256.FusedMultiplyAdd(Vector256.Load(runningSum), alpha0, sum0).Store(runningSum);
        Vector256.FusedMultiplyAdd(Vector256.Load(runningSum + 8), alpha1, sum1).Store(runningSum + 8);
        newMax0.Store(runningMax);
        newMax1.Store(runningMax + 8);
        alpha0.Store(alpha);
        alpha1.Store(alpha + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ZeroWhereNegativeInfinity(Vector256<float> x)
        => Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.NegativeInfinity)), Vector256<float>.Zero, x);

    /// <inheritdoc/>
    /// <remarks>Positions go four at a time; a last partial step reads its missing rows from the block's last row and
    /// masks them.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* qT, float* keys, int d, int b, int n, bool inside, float* sT, int* laneLast, int* laneFirst, float* blockMax)
    {
        Vector256<int> last0 = Vector256.Load(laneLast), last1 = Vector256.Load(laneLast + 8);
        Vector256<int> first0 = Vector256.Load(laneFirst), first1 = Vector256.Load(laneFirst + 8);
        Vector256<float> blockMax0 = Vector256.Create(float.NegativeInfinity), blockMax1 = blockMax0;
        Vector256<float> minusInfinity = blockMax0;
        for (int p0 = 0; p0 < n; p0 += 4)
        {
            float* k0 = keys + (long)p0 * d;
            float* k1 = keys + (long)Math.Min(p0 + 1, n - 1) * d, k2 = keys + (long)Math.Min(p0 + 2, n - 1) * d;
            float* k3 = keys + (long)Math.Min(p0 + 3, n - 1) * d;
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            float* q = qT;
            for (int i = 0; i < d; i++, q += Rows)
            {
                Vector256<float> q0 = Vector256.Load(q), q1 = Vector256.Load(q + 8);
                Vector256<float> x = Vector256.Create(k0[i]);
                a00 = Vector256.FusedMultiplyAdd(q0, x, a00); a01 = Vector256.FusedMultiplyAdd(q1, x, a01);
                x = Vector256.Create(k1[i]);
                a10 = Vector256.FusedMultiplyAdd(q0, x, a10); a11 = Vector256.FusedMultiplyAdd(q1, x, a11);
                x = Vector256.Create(k2[i]);
                a20 = Vector256.FusedMultiplyAdd(q0, x, a20); a21 = Vector256.FusedMultiplyAdd(q1, x, a21);
                x = Vector256.Create(k3[i]);
                a30 = Vector256.FusedMultiplyAdd(q0, x, a30); a31 = Vector256.FusedMultiplyAdd(q1, x, a31);
            }

            if (!inside || p0 + 4 > n)
            {
                int j = b + p0;
                int end = b + n;
                Mask(ref a00, ref a01, j, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a10, ref a11, j + 1, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a20, ref a21, j + 2, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a30, ref a31, j + 3, end, last0, last1, first0, first1, minusInfinity);
            }

            float* s = sT + p0 * Rows;
            a00.Store(s); a01.Store(s + 8); a10.Store(s + 16); a11.Store(s + 24);
            a20.Store(s + 32); a21.Store(s + 40); a30.Store(s + 48); a31.Store(s + 56);
            blockMax0 = Avx.Max(blockMax0, Avx.Max(Avx.Max(a00, a10), Avx.Max(a20, a30)));
            blockMax1 = Avx.Max(blockMax1, Avx.Max(Avx.Max(a01, a11), Avx.Max(a21, a31)));
        }
        blockMax0.Store(blockMax);
        blockMax1.Store(blockMax + 8);
    }

    /// <summary>−∞ in the lanes that may not see <paramref name="position"/> (lane r sees first_r ≤ j ≤ last_r), all
    /// lanes at or past the block's <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mask(ref Vector256<float> lanes0, ref Vector256<float> lanes1, int position, int end,
        Vector256<int> last0, Vector256<int> last1, Vector256<int> first0, Vector256<int> first1, Vector256<float> minusInfinity)
    {
        if (position >= end)
        {
            lanes0 = minusInfinity;
            lanes1 = minusInfinity;
            return;
        }
        Vector256<int> j = Vector256.Create(position);
        Vector256<int> visible0 = Vector256.GreaterThanOrEqual(last0, j) & Vector256.LessThanOrEqual(first0, j);
        Vector256<int> visible1 = Vector256.GreaterThanOrEqual(last1, j) & Vector256.LessThanOrEqual(first1, j);
        lanes0 = Vector256.ConditionalSelect(visible0.AsSingle(), lanes0, minusInfinity);
        lanes1 = Vector256.ConditionalSelect(visible1.AsSingle(), lanes1, minusInfinity);
    }

    /// <inheritdoc/>
    /// <remarks>Four elements i at a time (8 accumulators) while the block's V rows stream past; each V element is
    /// broadcast once and feeds both lane vectors.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Values(float* oT, float* values, int d, int n, float* pT, float* alpha)
    {
        Vector256<float> alpha0 = Vector256.Load(alpha), alpha1 = Vector256.Load(alpha + 8);
        for (int i0 = 0; i0 < d; i0 += 4)
        {
            float* o = oT + i0 * Rows;
            Vector256<float> a00 = Vector256.Load(o) * alpha0, a01 = Vector256.Load(o + 8) * alpha1;
            Vector256<float> a10 = Vector256.Load(o + 16) * alpha0, a11 = Vector256.Load(o + 24) * alpha1;
            Vector256<float> a20 = Vector256.Load(o + 32) * alpha0, a21 = Vector256.Load(o + 40) * alpha1;
            Vector256<float> a30 = Vector256.Load(o + 48) * alpha0, a31 = Vector256.Load(o + 56) * alpha1;
            float* v = values + i0;
            float* w = pT;
            for (int p = 0; p < n; p++, v += d, w += Rows)
            {
                Vector256<float> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 8);
                Vector256<float> x = Vector256.Create(v[0]);
                a00 = Vector256.FusedMultiplyAdd(w0, x, a00); a01 = Vector256.FusedMultiplyAdd(w1, x, a01);
                x = Vector256.Create(v[1]);
                a10 = Vector256.FusedMultiplyAdd(w0, x, a10); a11 = Vector256.FusedMultiplyAdd(w1, x, a11);
                x = Vector256.Create(v[2]);
                a20 = Vector256.FusedMultiplyAdd(w0, x, a20); a21 = Vector256.FusedMultiplyAdd(w1, x, a21);
                x = Vector256.Create(v[3]);
                a30 = Vector256.FusedMultiplyAdd(w0, x, a30); a31 = Vector256.FusedMultiplyAdd(w1, x, a31);
            }
            a00.Store(o); a01.Store(o + 8); a10.Store(o + 16); a11.Store(o + 24);
            a20.Store(o + 32); a21.Store(o + 40); a30.Store(o + 48); a31.Store(o + 56);
        }
    }
}
