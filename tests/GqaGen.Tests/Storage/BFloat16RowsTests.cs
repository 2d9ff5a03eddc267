using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Storage;

/// <summary>
/// <see cref="BFloat16Rows"/>: appends round to nearest even (hand-worked ties, overflow and subnormals, then a random
/// sweep against <see cref="BFloat16Oracle"/>), NaN stays a quiet NaN of the same sign, and every one of the 65,536
/// patterns loads as the single whose upper half it is.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class BFloat16RowsTests
{
    /// <summary>(single bits, bfloat16 bits), worked by hand: a bfloat16 is a single's upper 16 bits, so the lower 16
    /// bits decide the rounding, 0x8000 being the midpoint.</summary>
    public static TheoryData<uint, ushort> RoundingCases() => new()
    {
        { 0x3F800000, 0x3F80 }, // 1
        { 0x3F808000, 0x3F80 }, // 1 + 2^-8: midpoint, 0x3F80 even
        { 0x3F818000, 0x3F82 }, // 1 + 3·2^-8: midpoint, 0x3F81 odd so up to 0x3F82
        { 0x3F808001, 0x3F81 }, // just past the midpoint
        { 0x3F817FFF, 0x3F81 }, // just short of the next one
        { 0xBF818000, 0xBF82 }, // negative ties likewise (by magnitude)
        { 0x407FFFFF, 0x4080 }, // carry out of the fraction into the exponent: 4 − 2^-22 rounds to 4
        { 0x7F7F7FFF, 0x7F7F }, // just below the midpoint past the largest finite bfloat16
        { 0x7F7F8000, 0x7F80 }, // that midpoint: 0x7F7F is odd, so to +inf (IEEE overflow)
        { 0x7F7FFFFF, 0x7F80 }, // float.MaxValue rounds to +inf
        { 0x7F800000, 0x7F80 }, // +inf
        { 0xFF800000, 0xFF80 }, // -inf
        { 0x80000000, 0x8000 }, // -0
        { 0x00008000, 0x0000 }, // subnormal midpoint between 0 (even) and 0x0001
        { 0x00018000, 0x0002 }, // subnormal midpoint between 0x0001 (odd) and 0x0002
        { 0x80018000, 0x8002 },
        { 0x00007FFF, 0x0000 },
        { 0x007FFFFF, 0x0080 }, // the largest subnormal single rounds up to the smallest normal bfloat16
    };

    [Theory]
    [MemberData(nameof(RoundingCases))]
    public void Encode_rounds_to_nearest_even(uint singleBits, ushort expected)
    {
        float x = BitConverter.UInt32BitsToSingle(singleBits);
        Assert.Equal(expected, BFloat16Oracle.RoundToNearestEven(x));
        Assert.Equal(expected, EncodeOne(x));
    }

    [Theory]
    [InlineData(0x7FC00000u)] // the default quiet NaN
    [InlineData(0xFFC00000u)] // negative (float.NaN's own bits)
    [InlineData(0x7F800001u)] // signalling, payload only in the bits truncation drops: plain truncation would give +inf
    [InlineData(0xFF800001u)]
    [InlineData(0x7FFFFFFFu)] // all payload bits: adding the rounding bias must not carry into the sign
    [InlineData(0xFFFFFFFFu)]
    public void Encode_keeps_NaN_a_quiet_NaN_of_the_same_sign(uint singleBits)
    {
        ushort stored = EncodeOne(BitConverter.UInt32BitsToSingle(singleBits));
        Assert.True(BFloat16Oracle.IsNaN(stored), $"NaN 0x{singleBits:X8} was stored as 0x{stored:X4}, not a NaN.");
        Assert.True((stored & 0x8000) == (singleBits >> 16 & 0x8000), $"NaN 0x{singleBits:X8} was stored as 0x{stored:X4}: the sign changed.");
        Assert.True((stored & 0x0040) != 0, $"NaN 0x{singleBits:X8} was stored as 0x{stored:X4}: not quiet (fraction bit 6 clear).");
    }

    [Fact]
    public void Encode_matches_the_definition_on_random_singles_of_every_magnitude()
    {
        var random = new Random(CaseSeed.For(nameof(BFloat16RowsTests), "random"));
        var source = new float[1 << 16];
        for (int i = 0; i < source.Length; i++)
        {
            uint bits = (uint)random.NextInt64(0, 1L << 32);
            if (i % 4 == 0)
                bits = (bits & 0xFFFF0000) | 0x8000; // an exact tie
            float x = BitConverter.UInt32BitsToSingle(bits);
            source[i] = float.IsNaN(x) ? 1f : x;
        }
        var row = new byte[2 * source.Length];
        BFloat16Rows.Encode(source, row);
        for (int i = 0; i < source.Length; i++)
        {
            ushort actual = (ushort)(row[2 * i] | row[2 * i + 1] << 8);
            ushort expected = BFloat16Oracle.RoundToNearestEven(source[i]);
            if (actual != expected)
                Assert.Fail($"{source[i]:R} (0x{BitConverter.SingleToUInt32Bits(source[i]):X8}) was stored as 0x{actual:X4}; nearest-even gives 0x{expected:X4}.");
        }
    }

    [Fact]
    public void Every_pattern_loads_as_the_single_it_is_the_upper_half_of_on_every_load_width()
    {
        ushort[] patterns = Enumerable.Range(0, 1 << 16).Select(b => (ushort)b).ToArray();
        byte[] row = MemoryMarshal.AsBytes(patterns.AsSpan()).ToArray();
        ref byte start = ref row[0];
        for (int e = 0; e < patterns.Length; e++)
            AssertLoaded(patterns[e], BFloat16Rows.Load(ref start, e), "Load");
        for (int e = 0; e + 8 <= patterns.Length; e += 8)
        {
            Vector256<float> lanes = BFloat16Rows.Load256(ref start, e);
            for (int lane = 0; lane < 8; lane++)
                AssertLoaded(patterns[e + lane], lanes[lane], "Load256");
        }
        for (int e = 0; e + 16 <= patterns.Length; e += 16)
        {
            Vector512<float> lanes = BFloat16Rows.Load512(ref start, e);
            for (int lane = 0; lane < 16; lane++)
                AssertLoaded(patterns[e + lane], lanes[lane], "Load512");
        }
    }

    private static ushort EncodeOne(float x)
    {
        var row = new byte[2];
        BFloat16Rows.Encode([x], row);
        return (ushort)(row[0] | row[1] << 8);
    }

    private static void AssertLoaded(ushort pattern, float actual, string load)
    {
        // Bit for bit (NaN payloads and zero signs included), and, for numbers, the value the fields define.
        uint actualBits = BitConverter.SingleToUInt32Bits(actual);
        if (actualBits != (uint)pattern << 16)
            Assert.Fail($"{load} of bfloat16 0x{pattern:X4} gave 0x{actualBits:X8}; expected 0x{pattern:X4}0000.");
        if (!BFloat16Oracle.IsNaN(pattern) && BFloat16Oracle.Value(pattern) != actual)
            Assert.Fail($"{load} of bfloat16 0x{pattern:X4} gave {actual:R}; its fields denote {BFloat16Oracle.Value(pattern):R}.");
    }
}
