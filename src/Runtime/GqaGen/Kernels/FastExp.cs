using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// e^x for vectors of floats in single precision, accurate to about 2 ulp: the softmax evaluates one per
/// score, and the runtime's <c>Vector512.Exp</c> widens to double, which made it a third of a decode step
/// over a cache-resident context.
/// </summary>
/// <remarks>
/// Cephes' <c>expf</c> scheme: x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so n·ln 2 is exact),
/// e^r from a degree-7 polynomial, and 2^n built in the exponent field. Inputs below −87.3 (including −∞,
/// used for masked positions) give exactly 0; inputs above 88.7 give +∞; NaN stays NaN.
/// Public because generated code in user assemblies calls it.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float MinInput = -87.33654f;  // e^x underflows below the smallest normal float
    private const float MaxInput = 88.72283f;   // e^x overflows above float.MaxValue

    // Cephes expf coefficients for e^r ≈ 1 + r + r²·P(r).
    private const float P0 = 5.0000001201e-1f;
    private const float P1 = 1.6666665459e-1f;
    private const float P2 = 4.1665795894e-2f;
    private const float P3 = 8.3334519073e-3f;
    private const float P4 = 1.3981999507e-3f;
    private const float P5 = 1.9875691500e-4f;

    /// <summary>Effectively computes <c>e^x</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(MinInput)), Vector512.Create(MaxInput));
        Vector512<float> n = Vector512.Floor(Vector512.FusedMultiplyAdd(clamped, Vector512.Create(Log2E), Vector512.Create(0.5f)));
        Vector512<float> p = ExpOfRemainder(clamped, n);

        // 2^n from its exponent field; n is in [-126, 128] after clamping (n = 128, the overflow edge, gives +∞).
        Vector512<int> exponent = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23);
        Vector512<float> result = p * exponent.AsSingle();

        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinInput)), Vector512<float>.Zero, result);
        result = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(MaxInput)), Vector512.Create(float.PositiveInfinity), result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>
    /// Effectively computes <c>e^x</c> per lane for the softmax's arguments, score − max: x ≤ 0, −∞ (masked positions)
    /// or NaN. With AVX-512 it takes about half of <see cref="Exp(Vector512{float})"/>'s instructions; elsewhere it is that method.
    /// </summary>
    /// <remarks>
    /// The same reduction and polynomial as <see cref="Exp(Vector512{float})"/> (so the same accuracy), but 2^n comes from
    /// <c>vscalefps</c>, the lower clamp is one <c>vmaxps</c> (which returns its second operand when either is NaN, so NaN
    /// stays NaN) and one select zeroes inputs below −87.3 (−∞ included), whose results would be subnormal. No upper
    /// clamp: inputs above 0 are as accurate as with <see cref="Exp(Vector512{float})"/> up to 88.72; above that the result
    /// is +∞, and +∞ gives NaN. Why: the softmax is about a fifth of a decode step's arithmetic (caches in L2, measured by
    /// leaving it out: Llama-3-8B layout 3.4 of 15.2 ns per K+V row, TinyLlama 4.4 of 17.1), and this form took 2–5 %
    /// off whole decode calls in 7 of 8 pairs (Llama-3-8B and TinyLlama layouts, fp32, caches in L2 and of 32,768
    /// positions, the two forms alternated in one process, 2026-12-05; e.g. 39.6 against 38.2 ns per K+V row at 32,768
    /// positions).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
            return Exp(x);
        Vector512<float> clamped = Avx512F.Max(Vector512.Create(MinInput), x);
        Vector512<float> n = Avx512F.RoundScale(clamped * Vector512.Create(Log2E), 0); // to nearest, ties to even, whatever MXCSR says
        Vector512<float> result = Avx512F.Scale(ExpOfRemainder(clamped, n), n);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinInput)), Vector512<float>.Zero, result);
    }

    /// <summary>e^r for r = x − n·ln 2 (ln 2 in two parts, so n·ln 2 is exact): the reduction and degree-7 polynomial both
    /// 16-lane forms share; they differ only in how they pick n, build 2^n and treat the edges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpOfRemainder(Vector512<float> x, Vector512<float> n)
    {
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(P5), r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P0));
        return Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
    }

    /// <inheritdoc cref="Exp(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        Vector256<float> n = Vector256.Floor(Vector256.FusedMultiplyAdd(clamped, Vector256.Create(Log2E), Vector256.Create(0.5f)));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), clamped);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);

        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(P5), r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P0));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);

        Vector256<int> exponent = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23);
        Vector256<float> result = p * exponent.AsSingle();

        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinInput)), Vector256<float>.Zero, result);
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(MaxInput)), Vector256.Create(float.PositiveInfinity), result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }
}
