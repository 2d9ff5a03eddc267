using System.Runtime.CompilerServices;

namespace GqaGen.Llama;

/// <summary>
/// Which two groups (32 weights each) of a 256-weight super-block each 64-weight step of <see cref="Int8DotKernel"/>'s
/// AVX-512 path multiplies: the pairing that lets the format unpack its quants with the fewest instructions. The
/// activations are copied in the same order once per input (<see cref="Int8Activations"/>), so a step loads its 64
/// activation quants with one load.
/// </summary>
internal enum Int8StepOrder
{
    /// <summary>Step s takes groups 2s and 2s + 1: the activations' own order (Q6_K).</summary>
    Consecutive,

    /// <summary>Step s takes groups s and s + 4: the same bits of the two 128-weight halves' 32-byte runs of quants,
    /// one 64-byte load for all four steps (Q2_K, Q3_K).</summary>
    Halves,

    /// <summary>Steps 2t + n take groups 4t + n and 4t + 2 + n: nibble n of the 64 bytes at 64t, which hold groups
    /// 4t..4t + 3 as low and high nibbles of two 32-byte runs (Q4_K, Q5_K).</summary>
    NibblePairs,
}

/// <summary>The groups of each <see cref="Int8StepOrder"/>'s steps, for the kernel and the activations' copy alike.</summary>
internal static class Int8StepOrderGroups
{
    /// <summary>Steps of 64 weights per 256-weight super-block.</summary>
    public const int Steps = 4;

    /// <summary>The group of step <paramref name="step"/>'s lower 32 weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LowerGroup(this Int8StepOrder order, int step) => order switch
    {
        Int8StepOrder.Halves => step,
        Int8StepOrder.NibblePairs => 4 * (step >> 1) + (step & 1),
        _ => 2 * step,
    };

    /// <summary>How many groups after the lower one the step's upper 32 weights are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UpperGroupDistance(this Int8StepOrder order) => order switch
    {
        Int8StepOrder.Halves => 4,
        Int8StepOrder.NibblePairs => 2,
        _ => 1,
    };
}
