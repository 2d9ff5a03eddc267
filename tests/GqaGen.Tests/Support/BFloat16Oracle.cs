namespace GqaGen.Tests.Support;

/// <summary>
/// bfloat16 from its definition (1 sign bit, 8 exponent bits biased by 127, 7 fraction bits), computed from the
/// fields rather than by shifting into a single, so that the BFloat16 row format is checked against code it shares
/// nothing with.
/// </summary>
internal static class BFloat16Oracle
{
    /// <summary>+∞.</summary>
    public const ushort InfinityBits = 0x7F80;

    /// <summary>The value of a bfloat16: ±fraction·2^-133 for exponent 0, ±(128 + fraction)·2^(exponent − 134) for
    /// exponents 1 to 254, ±∞ or NaN for 255.</summary>
    public static double Value(ushort bits)
    {
        int exponent = (bits >> 7) & 0xFF, fraction = bits & 0x7F;
        double magnitude = exponent switch
        {
            0 => Math.ScaleB(fraction, -133),
            255 => fraction == 0 ? double.PositiveInfinity : double.NaN,
            _ => Math.ScaleB(128 + fraction, exponent - 134),
        };
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /// <summary>Whether <paramref name="bits"/> is a NaN (exponent 255, fraction not zero).</summary>
    public static bool IsNaN(ushort bits) => (bits & 0x7F80) == 0x7F80 && (bits & 0x7F) != 0;

    /// <summary>
    /// IEEE round to nearest, ties to even, of a finite or infinite single: the nearest bfloat16, at a midpoint the
    /// one with an even fraction; past the largest finite bfloat16 by half a step or more, ∞ (0x7F80 counts as 2^128,
    /// the next step, while rounding). Zeros keep their sign. Not defined for NaN (callers check NaN separately).
    /// </summary>
    public static ushort RoundToNearestEven(float x)
    {
        if (float.IsNaN(x))
            throw new ArgumentException("RoundToNearestEven is defined for numbers; check NaN separately.", nameof(x));
        ushort sign = float.IsNegative(x) ? (ushort)0x8000 : (ushort)0;
        double magnitude = Math.Abs((double)x);
        if (float.IsInfinity(x))
            return (ushort)(sign | InfinityBits);

        int lo = 0, hi = InfinityBits;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (Value((ushort)mid) <= magnitude)
                lo = mid;
            else
                hi = mid;
        }
        double midpoint = (Value((ushort)lo) + (hi == InfinityBits ? Math.ScaleB(1.0, 128) : Value((ushort)hi))) / 2;
        int nearest = magnitude < midpoint ? lo : magnitude > midpoint ? hi : lo % 2 == 0 ? lo : hi;
        return (ushort)(sign | nearest);
    }
}
