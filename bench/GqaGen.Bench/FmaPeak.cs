using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Bench;

/// <summary>
/// The single-core fp32 FMA peak, measured rather than taken from a data sheet: a loop of
/// <see cref="Chains"/> independent fused multiply-add chains on the widest vector the process accelerates
/// (<see cref="Vector512{T}"/>, else <see cref="Vector256{T}"/>). With FMA latency L cycles and T FMAs issued per
/// cycle, L × T independent chains keep every FMA unit busy (Zen 4/5 and Intel cores: L = 4, T = 2, so 8 suffice);
/// 16 leave margin and still fit the 32 zmm (or, as 12 of the 16 on AVX2, ymm) registers with the two operands.
/// </summary>
internal static class FmaPeak
{
    /// <summary>Independent accumulators of the AVX-512 loop: twice the latency × throughput product of current cores.</summary>
    public const int Chains = 16;

    /// <summary>Loop iterations per <see cref="Run"/> call.</summary>
    public const int Iterations = 1 << 20;

    /// <summary>Floating-point operations one <see cref="Run"/> performs (an FMA counts as two per lane).</summary>
    public static long FlopsPerRun
        => (long)Iterations * (Vector512.IsHardwareAccelerated ? Chains * 16 : 12 * 8) * 2;

    /// <summary>Runs the FMA loop once; returns a value derived from every chain, so the JIT cannot drop any.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Run(float seed)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            // Multiplier just under 1 and a small addend: the values stay finite and normal for 2^20 steps.
            Vector512<float> m = Vector512.Create(0.999999f), a = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(seed), c1 = c0 + a, c2 = c1 + a, c3 = c2 + a, c4 = c3 + a, c5 = c4 + a, c6 = c5 + a, c7 = c6 + a;
            Vector512<float> c8 = c7 + a, c9 = c8 + a, c10 = c9 + a, c11 = c10 + a, c12 = c11 + a, c13 = c12 + a, c14 = c13 + a, c15 = c14 + a;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
                c12 = Vector512.FusedMultiplyAdd(c12, m, a); c13 = Vector512.FusedMultiplyAdd(c13, m, a);
                c14 = Vector512.FusedMultiplyAdd(c14, m, a); c15 = Vector512.FusedMultiplyAdd(c15, m, a);
            }
            return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
        }
        else
        {
            Vector256<float> m = Vector256.Create(0.999999f), a = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(seed), c1 = c0 + a, c2 = c1 + a, c3 = c2 + a, c4 = c3 + a, c5 = c4 + a;
            Vector256<float> c6 = c5 + a, c7 = c6 + a, c8 = c7 + a, c9 = c8 + a, c10 = c9 + a, c11 = c10 + a;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = Vector256.MultiplyAddEstimate(c0, m, a); c1 = Vector256.MultiplyAddEstimate(c1, m, a);
                c2 = Vector256.MultiplyAddEstimate(c2, m, a); c3 = Vector256.MultiplyAddEstimate(c3, m, a);
                c4 = Vector256.MultiplyAddEstimate(c4, m, a); c5 = Vector256.MultiplyAddEstimate(c5, m, a);
                c6 = Vector256.MultiplyAddEstimate(c6, m, a); c7 = Vector256.MultiplyAddEstimate(c7, m, a);
                c8 = Vector256.MultiplyAddEstimate(c8, m, a); c9 = Vector256.MultiplyAddEstimate(c9, m, a);
                c10 = Vector256.MultiplyAddEstimate(c10, m, a); c11 = Vector256.MultiplyAddEstimate(c11, m, a);
            }
            return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
        }
    }
}
