using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// The AVX-512 steps of a prefill lane tile (<see cref="ILaneSteps"/>): 32 query rows in the lanes of two Vector512.
/// Scores take 8 positions × 2 vectors (16 accumulators, 2 loads and 8 broadcasts per 16 FMAs) and values 8 elements
/// × 2 vectors, out of the 32 registers.
/// </summary>
internal readonly unsafe struct Lanes512 : ILaneSteps
{
    /// <inheritdoc/>
    public static int Rows => GqaKernelNumbers.PrefillLaneRows(GqaKernelNumbers.Avx512Width);

    /// <inheritdoc/>
    public static bool Applies => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* sT, int n, float* runningMax, float* runningSum, float* blockMax, float* alpha)
    {
        Vector512<float> max0 = Vector512.Load(runningMax), max1 = Vector512.Load(runningMax + 16);
        Vector512<float> newMax0 = Avx512F.Max(max0, Vector512.Load(blockMax)), newMax1 = Avx512F.Max(max1, Vector512.Load(blockMax + 16));
        Vector512<float> shift0 = ZeroWhereNegativeInfinity(newMax0), shift1 = ZeroWhereNegativeInfinity(newMax1);
        // Each argument below is at most 0 (a score or old maximum minus the new maximum) or −∞: ExpNonPositive's domain.
        // A lane holding a NaN score may pass anything (vmaxps can drop a larger score after a NaN), but its output is NaN whatever its weights.
        Vector512<float> alpha0 = FastExp.ExpNonPositive(max0 - shift0), alpha1 = FastExp.ExpNonPositive(max1 - shift1);
        Vector512<float> sum0 = Vector512<float>.Zero, sum1 = sum0;
        for (int p = 0; p < n; p++)
        {
            float* s = sT + p * Rows;
            Vector512<float> p0 = FastExp.ExpNonPositive(Vector512.Load(s) - shift0), p1 = FastExp.ExpNonPositive(Vector512.Load(s + 16) - shift1);
            p0.Store(s);
            p1.Store(s + 16);
            sum0 += p0;
            sum1 += p1;
        }
        Vector512.FusedMultiplyAdd(Vector512.Load(runningSum), alpha0, sum0).Store(runningSum);
        Vector512.FusedMultiplyAdd(Vector512.Load(runningSum + 16), alpha1, sum1).Store(runningSum + 16);
        newMax0.Store(runningMax);
        newMax1.Store(runningMax + 16);
        alpha0.Store(alpha);
        alpha1.Store(alpha + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ZeroWhereNegativeInfinity(Vector512<float> x)
        => Vector512.ConditionalSelect(Vector512.Equals(x, Vector512.Create(float.NegativeInfinity)), Vector512<float>.Zero, x);

    /// <inheritdoc/>
    /// <remarks>
    /// Writes <c>Sᵀ[p, r] = Qᵀ[·, r] · K_p</c> for positions p &lt; n of the block starting at position
    /// <paramref name="b"/> (K rows at <paramref name="keys"/>), −∞ where lane r may not see position b + p (causal and
    /// window masks, applied only when the block is not <paramref name="inside"/> every lane's range), and returns the
    /// block's max per lane. Positions go eight at a time (16 accumulators); a last partial step reads its missing
    /// rows from the block's last row and masks them.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* qT, float* keys, int d, int b, int n, bool inside, float* sT, int* laneLast, int* laneFirst, float* blockMax)
    {
        Vector512<int> last0 = Vector512.Load(laneLast), last1 = Vector512.Load(laneLast + 16);
        Vector512<int> first0 = Vector512.Load(laneFirst), first1 = Vector512.Load(laneFirst + 16);
        Vector512<float> blockMax0 = Vector512.Create(float.NegativeInfinity), blockMax1 = blockMax0;
        Vector512<float> minusInfinity = blockMax0;
        for (int p0 = 0; p0 < n; p0 += 8)
        {
            float* k0 = keys + (long)p0 * d;
            float* k1 = keys + (long)Math.Min(p0 + 1, n - 1) * d, k2 = keys + (long)Math.Min(p0 + 2, n - 1) * d;
            float* k3 = keys + (long)Math.Min(p0 + 3, n - 1) * d, k4 = keys + (long)Math.Min(p0 + 4, n - 1) * d;
            float* k5 = keys + (long)Math.Min(p0 + 5, n - 1) * d, k6 = keys + (long)Math.Min(p0 + 6, n - 1) * d;
            float* k7 = keys + (long)Math.Min(p0 + 7, n - 1) * d;
            Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
            float* q = qT;
            for (int i = 0; i < d; i++, q += Rows)
            {
                Vector512<float> q0 = Vector512.Load(q), q1 = Vector512.Load(q + 16);
                Vector512<float> x = Vector512.Create(k0[i]);
                a00 = Vector512.FusedMultiplyAdd(q0, x, a00); a01 = Vector512.FusedMultiplyAdd(q1, x, a01);
                x = Vector512.Create(k1[i]);
                a10 = Vector512.FusedMultiplyAdd(q0, x, a10); a11 = Vector512.FusedMultiplyAdd(q1, x, a11);
                x = Vector512.Create(k2[i]);
                a20 = Vector512.FusedMultiplyAdd(q0, x, a20); a21 = Vector512.FusedMultiplyAdd(q1, x, a21);
                x = Vector512.Create(k3[i]);
                a30 = Vector512.FusedMultiplyAdd(q0, x, a30); a31 = Vector512.FusedMultiplyAdd(q1, x, a31);
                x = Vector512.Create(k4[i]);
                a40 = Vector512.FusedMultiplyAdd(q0, x, a40); a41 = Vector512.FusedMultiplyAdd(q1, x, a41);
                x = Vector512.Create(k5[i]);
                a50 = Vector512.FusedMultiplyAdd(q0, x, a50); a51 = Vector512.FusedMultiplyAdd(q1, x, a51);
                x = Vector512.Create(k6[i]);
                a60 = Vector512.FusedMultiplyAdd(q0, x, a60); a61 = Vector512.FusedMultiplyAdd(q1, x, a61);
                x = Vector512.Create(k7[i]);
                a70 = Vector512.FusedMultiplyAdd(q0, x, a70); a71 = Vector512.FusedMultiplyAdd(q1, x, a71);
            }

            if (!inside || p0 + 8 > n)
            {
                // Lane r sees position j when first_r ≤ j ≤ last_r; steps past the block's end see nothing.
                int j = b + p0;
                int end = b + n;
                Mask(ref a00, ref a01, j, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a10, ref a11, j + 1, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a20, ref a21, j + 2, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a30, ref a31, j + 3, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a40, ref a41, j + 4, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a50, ref a51, j + 5, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a60, ref a61, j + 6, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a70, ref a71, j + 7, end, last0, last1, first0, first1, minusInfinity);
            }

            float* s = sT + p0 * Rows;
            a00.Store(s); a01.Store(s + 16); a10.Store(s + 32); a11.Store(s + 48);
            a20.Store(s + 64); a21.Store(s + 80); a30.Store(s + 96); a31.Store(s + 112);
            a40.Store(s + 128); a41.Store(s + 144); a50.Store(s + 160); a51.Store(s + 176);
            a60.Store(s + 192); a61.Store(s + 208); a70.Store(s + 224); a71.Store(s + 240);
            blockMax0 = Avx512F.Max(blockMax0, Avx512F.Max(Avx512F.Max(Avx512F.Max(a00, a10), Avx512F.Max(a20, a30)), Avx512F.Max(Avx512F.Max(a40, a50), Avx512F.Max(a60, a70))));
            blockMax1 = Avx512F.Max(blockMax1, Avx512F.Max(Avx512F.Max(Avx512F.Max(a01, a11), Avx512F.Max(a21, a31)), Avx512F.Max(Avx512F.Max(a41, a51), Avx512F.Max(a61, a71))));
        }
        blockMax0.Store(blockMax);
        blockMax1.Store(blockMax + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mask(ref Vector512<float> lanes0, ref Vector512<float> lanes1, int position, int end,
        Vector512<int> last0, Vector512<int> last1, Vector512<int> first0, Vector512<int> first1, Vector512<float> minusInfinity)
    {
        if (position >= end)
        {
            lanes0 = minusInfinity;
            lanes1 = minusInfinity;
            return;
        }
        Vector512<int> j = Vector512.Create(position);
        Vector512<int> visible0 = Vector512.GreaterThanOrEqual(last0, j) & Vector512.LessThanOrEqual(first0, j);
        Vector512<int> visible1 = Vector512.GreaterThanOrEqual(last1, j) & Vector512.LessThanOrEqual(first1, j);
        lanes0 = Vector512.ConditionalSelect(visible0.AsSingle(), lanes0, minusInfinity);
        lanes1 = Vector512.ConditionalSelect(visible1.AsSingle(), lanes1, minusInfinity);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <c>Oᵀ[i, ·] = Oᵀ[i, ·] · α + Σ_{p &lt; n} V_p[i] · Pᵀ[p, ·]</c>, eight elements i at a time (16 accumulators) while
    /// the block's V rows stream past; each V element is broadcast once and feeds both lane vectors.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Values(float* oT, float* values, int d, int n, float* pT, float* alpha)
    {
        Vector512<float> alpha0 = Vector512.Load(alpha), alpha1 = Vector512.Load(alpha + 16);
        for (int i0 = 0; i0 < d; i0 += 8)
        {
            float* o = oT + i0 * Rows;
            Vector512<float> a00 = Vector512.Load(o) * alpha0, a01 = Vector512.Load(o + 16) * alpha1;
            Vector512<float> a10 = Vector512.Load(o + 32) * alpha0, a11 = Vector512.Load(o + 48) * alpha1;
            Vector512<float> a20 = Vector512.Load(o + 64) * alpha0, a21 = Vector512.Load(o + 80) * alpha1;
            Vector512<float> a30 = Vector512.Load(o + 96) * alpha0, a31 = Vector512.Load(o + 112) * alpha1;
            Vector512<float> a40 = Vector512.Load(o + 128) * alpha0, a41 = Vector512.Load(o + 144) * alpha1;
            Vector512<float> a50 = Vector512.Load(o + 160) * alpha0, a51 = Vector512.Load(o + 176) * alpha1;
            Vector512<float> a60 = Vector512.Load(o + 192) * alpha0, a61 = Vector512.Load(o + 208) * alpha1;
            Vector512<float> a70 = Vector512.Load(o + 224) * alpha0, a71 = Vector512.Load(o + 240) * alpha1;
            float* v = values + i0;
            float* w = pT;
            for (int p = 0; p < n; p++, v += d, w += Rows)
            {
                Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + 16);
                Vector512<float> x = Vector512.Create(v[0]);
                a00 = Vector512.FusedMultiplyAdd(w0, x, a00); a01 = Vector512.FusedMultiplyAdd(w1, x, a01);
                x = Vector512.Create(v[1]);
                a10 = Vector512.FusedMultiplyAdd(w0, x, a10); a11 = Vector512.FusedMultiplyAdd(w1, x, a11);
                x = Vector512.Create(v[2]);
                a20 = Vector512.FusedMultiplyAdd(w0, x, a20); a21 = Vector512.FusedMultiplyAdd(w1, x, a21);
                x = Vector512.Create(v[3]);
                a30 = Vector512.FusedMultiplyAdd(w0, x, a30); a31 = Vector512.FusedMultiplyAdd(w1, x, a31);
                x = Vector512.Create(v[4]);
                a40 = Vector512.FusedMultiplyAdd(w0, x, a40); a41 = Vector512.FusedMultiplyAdd(w1, x, a41);
                x = Vector512.Create(v[5]);
                a50 = Vector512.FusedMultiplyAdd(w0, x, a50); a51 = Vector512.FusedMultiplyAdd(w1, x, a51);
                x = Vector512.Create(v[6]);
                a60 = Vector512.FusedMultiplyAdd(w0, x, a60); a61 = Vector512.FusedMultiplyAdd(w1, x, a61);
                x = Vector512.Create(v[7]);
                a70 = Vector512.FusedMultiplyAdd(w0, x, a70); a71 = Vector512.FusedMultiplyAdd(w1, x, a71);
            }
            a00.Store(o); a01.Store(o + 16); a10.Store(o + 32); a11.Store(o + 48);
            a20.Store(o + 64); a21.Store(o + 80); a30.Store(o + 96); a31.Store(o + 112);
            a40.Store(o + 128); a41.Store(o + 144); a50.Store(o + 160); a51.Store(o + 176);
            a60.Store(o + 192); a61.Store(o + 208); a70.Store(o + 224); a71.Store(o + 240);
        }
    }
}
