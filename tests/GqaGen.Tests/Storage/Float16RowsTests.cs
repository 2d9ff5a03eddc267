using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Storage;

/// <summary>
/// <see cref="Float16Rows"/>: appends round to nearest even and saturate to ±65,504 (hand-worked cases, then a
/// random sweep against <see cref="HalfOracle"/>), and every finite half loads as exactly its value.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class Float16RowsTests
{
    /// <summary>(single bits, half bits), worked by hand from the binary16 definition.</summary>
    public static TheoryData<uint, ushort> RoundingCases() => new()
    {
        { 0x3F800000, 0x3C00 }, // 1
        { 0x3F801000, 0x3C00 }, // 1 + 2^-11: halfway between 1 and 1 + 2^-10; 1 has the even fraction
        { 0x3F803000, 0x3C02 }, // 1 + 3·2^-11: halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
        { 0x3F801001, 0x3C01 }, // just past the first midpoint: up
        { 0x3F802FFF, 0x3C01 }, // just short of the second midpoint: down
        { 0x477FE000, 0x7BFF }, // 65504, the largest finite half
        { 0x477FEFFF, 0x7BFF }, // 65519.996: rounds down to 65504 anyway
        { 0x477FF000, 0x7BFF }, // 65520: IEEE rounds to +inf (tie, 0x7C00 even); the cache saturates
        { 0x49742400, 0x7BFF }, // 1e6
        { 0x7F7FFFFF, 0x7BFF }, // float.MaxValue
        { 0x7F800000, 0x7BFF }, // +inf
        { 0xFF800000, 0xFBFF }, // -inf
        { 0xC77FF000, 0xFBFF }, // -65520
        { 0x80000000, 0x8000 }, // -0 keeps its sign
        { 0x33000000, 0x0000 }, // 2^-25: halfway between 0 and the smallest subnormal 2^-24; 0 is even
        { 0x33400000, 0x0001 }, // 0.75·2^-24: nearer 2^-24
        { 0xB3400000, 0x8001 }, // -0.75·2^-24
        { 0x33C00000, 0x0002 }, // 1.5·2^-24: halfway between subnormals 1 (odd) and 2 (even)
        { 0x33800000, 0x0001 }, // 2^-24
        { 0x387FC000, 0x03FF }, // 2^-14 − 2^-24, the largest subnormal half
        { 0x387FE000, 0x0400 }, // 2^-14 − 2^-25: halfway between the largest subnormal (0x3FF, odd) and 2^-14 (even)
        { 0x38800000, 0x0400 }, // 2^-14, the smallest normal half
        { 0x2F800000, 0x0000 }, // 2^-32: far below the smallest subnormal
    };

    [Theory]
    [MemberData(nameof(RoundingCases))]
    public void Encode_rounds_to_nearest_even_and_saturates(uint singleBits, ushort expectedHalf)
    {
        float x = BitConverter.UInt32BitsToSingle(singleBits);
        Assert.Equal(expectedHalf, HalfOracle.RoundSaturated(x)); // the oracle agrees with the hand-worked value
        Assert.Equal(expectedHalf, EncodeOne(x));
    }

    [Fact]
    public void Encode_of_NaN_stores_a_NaN()
        => Assert.True(HalfOracle.IsNaN(EncodeOne(float.NaN)), $"NaN was stored as 0x{EncodeOne(float.NaN):X4}, not a NaN half.");

    [Fact]
    public void Encode_matches_the_definition_on_random_singles_of_every_magnitude()
    {
        var random = new Random(CaseSeed.For(nameof(Encode_matches_the_definition_on_random_singles_of_every_magnitude)));
        var source = new float[1 << 16];
        for (int i = 0; i < source.Length; i++)
        {
            // Random bits cover every exponent; half of the draws are kept within the half range, where rounding
            // (not saturation or flushing) decides the result.
            uint bits = (uint)random.NextInt64(0, 1L << 32);
            if (i % 2 == 0)
                bits = (bits & 0x807FFFFF) | (uint)(random.Next(127 - 26, 127 + 17) << 23);
            float x = BitConverter.UInt32BitsToSingle(bits);
            source[i] = float.IsNaN(x) ? 1f : x;
        }
        var row = new byte[2 * source.Length];
        Float16Rows.Encode(source, row);
        for (int i = 0; i < source.Length; i++)
        {
            ushort actual = (ushort)(row[2 * i] | row[2 * i + 1] << 8);
            ushort expected = HalfOracle.RoundSaturated(source[i]);
            if (actual != expected)
                Assert.Fail($"{source[i]:R} (0x{BitConverter.SingleToUInt32Bits(source[i]):X8}) was stored as 0x{actual:X4}; nearest-even with saturation gives 0x{expected:X4}.");
        }
    }

    [Fact]
    public void The_oracle_agrees_with_System_Half_wherever_neither_saturates()
    {
        // Two independent conversions (the oracle's bisection and the runtime's Half) agreeing is what makes the
        // oracle trustworthy for the cases no hand-worked table lists.
        var random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            float x = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (float.IsNaN(x) || Math.Abs(x) >= 65520)
                continue;
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)x), HalfOracle.RoundToNearestEven(x));
        }
    }

    [Fact]
    public void Every_finite_half_loads_as_its_exact_value_on_every_load_width()
    {
        // All 63,488 finite patterns, ±0 and subnormals included, in one row.
        ushort[] patterns = Enumerable.Range(0, 1 << 16).Select(b => (ushort)b).Where(b => (b & 0x7C00) != 0x7C00).ToArray();
        byte[] row = MemoryMarshal.AsBytes(patterns.AsSpan()).ToArray();
        ref byte start = ref row[0];
        for (int e = 0; e < patterns.Length; e++)
            AssertLoaded(patterns[e], Float16Rows.Load(ref start, e), "Load");
        for (int e = 0; e + 8 <= patterns.Length; e += 8)
        {
            Vector256<float> lanes = Float16Rows.Load256(ref start, e);
            for (int lane = 0; lane < 8; lane++)
                AssertLoaded(patterns[e + lane], lanes[lane], "Load256");
        }
        for (int e = 0; e + 16 <= patterns.Length; e += 16)
        {
            Vector512<float> lanes = Float16Rows.Load512(ref start, e);
            for (int lane = 0; lane < 16; lane++)
                AssertLoaded(patterns[e + lane], lanes[lane], "Load512");
        }
    }

    private static ushort EncodeOne(float x)
    {
        var row = new byte[2];
        Float16Rows.Encode([x], row);
        return (ushort)(row[0] | row[1] << 8);
    }

    private static void AssertLoaded(ushort half, float actual, string load)
    {
        float expected = (float)HalfOracle.Value(half);
        if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
            Assert.Fail($"{load} of half 0x{half:X4} gave {actual:R}; it denotes {expected:R}.");
    }
}
