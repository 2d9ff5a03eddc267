namespace GqaGen.Tests.Support;

/// <summary>
/// IEEE 754 binary16 from its definition (1 sign bit, 5 exponent bits biased by 15, 10 fraction bits), written
/// without <see cref="Half"/> or the runtime's <c>HalfBits</c>, so that the Float16 row format and the Q8_0 scale are
/// checked against code they share nothing with.
/// </summary>
internal static class HalfOracle
{
    /// <summary>65,504, the largest finite half.</summary>
    public const ushort MaxFiniteBits = 0x7BFF;

    /// <summary>+∞.</summary>
    public const ushort InfinityBits = 0x7C00;

    /// <summary>The value of a half: ±fraction·2^-24 for exponent 0, ±(1024 + fraction)·2^(exponent − 25) for
    /// exponents 1 to 30, ±∞ or NaN for exponent 31.</summary>
    public static double Value(ushort bits)
    {
        int exponent = (bits >> 10) & 0x1F, fraction = bits & 0x3FF;
        double magnitude = exponent switch
        {
            0 => Math.ScaleB(fraction, -24),
            31 => fraction == 0 ? double.PositiveInfinity : double.NaN,
            _ => Math.ScaleB(1024 + fraction, exponent - 25),
        };
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /// <summary>Whether <paramref name="bits"/> is a NaN (exponent 31, fraction not zero).</summary>
    public static bool IsNaN(ushort bits) => (bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0;

    /// <summary>
    /// IEEE round to nearest, ties to even: the half nearest <paramref name="x"/>; at a midpoint, the one with an even
    /// fraction. A magnitude at or past 65,520 (the midpoint between 65,504 and the next step 2^16, whose pattern
    /// 0x7C00 is even) becomes ∞. The sign is kept, zeros included. NaN becomes a quiet NaN of the same sign.
    /// </summary>
    public static ushort RoundToNearestEven(float x)
    {
        ushort sign = float.IsNegative(x) ? (ushort)0x8000 : (ushort)0;
        if (float.IsNaN(x))
            return (ushort)(sign | 0x7E00);
        double magnitude = Math.Abs((double)x);
        if (magnitude >= 65536)
            return (ushort)(sign | InfinityBits);

        // Non-negative patterns increase with their value; bisect for lo ≤ magnitude < hi with hi = lo + 1,
        // counting 0x7C00 as 2^16 (IEEE rounds with an unbounded exponent, then overflows to ∞).
        int lo = 0, hi = InfinityBits;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (Value((ushort)mid) <= magnitude)
                lo = mid;
            else
                hi = mid;
        }
        // Halves and their midpoints are exact in double, and so is the float x: the comparison is exact.
        double midpoint = (Value((ushort)lo) + (hi == InfinityBits ? 65536.0 : Value((ushort)hi))) / 2;
        int nearest = magnitude < midpoint ? lo : magnitude > midpoint ? hi : lo % 2 == 0 ? lo : hi;
        return (ushort)(sign | nearest);
    }

    /// <summary>
    /// What a Float16 cache stores: <see cref="RoundToNearestEven"/>, except that a result of ±∞ (from a finite
    /// overflow or an infinite input) becomes ±65,504. NaN stays NaN.
    /// </summary>
    public static ushort RoundSaturated(float x)
    {
        ushort bits = RoundToNearestEven(x);
        return (bits & 0x7FFF) == InfinityBits ? (ushort)((bits & 0x8000) | MaxFiniteBits) : bits;
    }
}
