using GqaGen.Llama.Tests.Reference;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Synthetic.Tests;

/// <summary>The runtime's weight encoders, checked against hand-worked bit patterns and the test-side dequantizer.</summary>
public sealed class WeightEncoderTests
{
    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1
    [InlineData(0xC000_0000u, 0xC000)] // -2
    [InlineData(0x0000_0000u, 0x0000)]
    // 1 + 2^-8 lies halfway between bf16 1 (mantissa …0, even) and 1 + 2^-7 (…1, odd): ties go to even, down.
    [InlineData(0x3F80_8000u, 0x3F80)]
    // 1 + 3·2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): ties go to even, up.
    [InlineData(0x3F81_8000u, 0x3F82)]
    // One float ulp above the first tie: up.
    [InlineData(0x3F80_8001u, 0x3F81)]
    // One float ulp below the second tie: down.
    [InlineData(0x3F81_7FFFu, 0x3F81)]
    [InlineData(0x7F80_0000u, 0x7F80)] // +infinity
    public void BF16_rounds_to_nearest_even(uint floatBits, int expectedBits) =>
        Assert.Equal((ushort)expectedBits, WeightEncoder.ToBF16Bits(BitConverter.UInt32BitsToSingle(floatBits)));

    [Fact]
    public void BF16_keeps_NaN_a_NaN_even_when_rounding_would_carry()
    {
        // A NaN whose mantissa is all ones in the low half: adding the rounding bias would carry into the exponent.
        float nan = BitConverter.UInt32BitsToSingle(0x7F80_FFFFu);
        ushort bits = WeightEncoder.ToBF16Bits(nan);
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)bits << 16)), $"0x{bits:X4} is not a NaN");
    }

    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(65504f, 0x7BFF)]
    [InlineData(5.9604645e-8f, 0x0001)] // 2^-24, the smallest subnormal
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even, down; 1 + 3·2^-11: ties to even, up.
    [InlineData(1.00048828125f, 0x3C00)]
    [InlineData(1.00146484375f, 0x3C02)]
    [InlineData(1e6f, 0x7C00)] // beyond the half range: infinity
    public void F16_rounds_to_nearest_even(float value, int expectedBits) =>
        Assert.Equal((ushort)expectedBits, WeightEncoder.ToF16Bits(value));

    [Fact]
    public void Q8_0_block_matches_llama_cpp_reference_quantization()
    {
        // max|x| = 127 makes the scale exactly 1, so the quants are round(x) with ties away from zero (C's roundf).
        var block = new float[32];
        block[0] = 127f;
        block[1] = 2.5f;
        block[2] = -2.5f;
        block[3] = 0.49f;
        block[4] = -126.6f;
        var bytes = new byte[34];
        WeightEncoder.EncodeQ8_0Block(block, bytes);
        Assert.Equal(0x3C00, bytes[0] | (bytes[1] << 8)); // d = 1.0 as half
        Assert.Equal(127, (sbyte)bytes[2]);
        Assert.Equal(3, (sbyte)bytes[3]);
        Assert.Equal(-3, (sbyte)bytes[4]);
        Assert.Equal(0, (sbyte)bytes[5]);
        Assert.Equal(-127, (sbyte)bytes[6]);
    }

    [Fact]
    public void Q8_0_all_zero_block_has_zero_scale_and_quants()
    {
        var bytes = new byte[34];
        bytes.AsSpan().Fill(0xAA);
        WeightEncoder.EncodeQ8_0Block(new float[32], bytes);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(GgmlType.F32, 0.0)]
    [InlineData(GgmlType.F16, 1.0 / 2048)]  // 11 significant bits: relative error ≤ 2^-11 (normal range)
    [InlineData(GgmlType.BF16, 1.0 / 256)]  // 8 significant bits: ≤ 2^-8
    public void Float_encodings_round_trip_within_half_an_ulp(GgmlType type, double relativeBound)
    {
        var random = new Random(17);
        var values = new float[1000];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 4)));
        var decoded = RoundTrip(type, values);
        for (int i = 0; i < values.Length; i++)
            // The absolute term covers F16's subnormals (below 2^-14), whose step is a fixed 2^-24.
            Assert.True(Math.Abs(decoded[i] - values[i]) <= relativeBound * Math.Abs(values[i]) + Math.Pow(2, -25),
                $"{type}: {values[i]} decoded as {decoded[i]}");
    }

    [Fact]
    public void Q8_0_round_trip_error_is_at_most_half_a_step_per_block()
    {
        var random = new Random(5);
        var values = new float[32 * 20];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i / 32);
        var decoded = RoundTrip(GgmlType.Q8_0, values);
        for (int block = 0; block < values.Length / 32; block++)
        {
            double maxAbs = 0;
            for (int i = 0; i < 32; i++)
                maxAbs = Math.Max(maxAbs, Math.Abs(values[block * 32 + i]));
            // Half a quantization step, plus the scale's own rounding to half precision acting on up to 127 steps.
            double bound = maxAbs / 127 * (0.5 + 127.0 / 2048) + 1e-7;
            for (int i = 0; i < 32; i++)
                Assert.True(Math.Abs(decoded[block * 32 + i] - values[block * 32 + i]) <= bound,
                    $"block {block}, element {i}: {values[block * 32 + i]} decoded as {decoded[block * 32 + i]} (bound {bound})");
        }
    }

    [Fact]
    public void Encode_rejects_bad_lengths_and_types()
    {
        var e1 = Assert.Throws<ArgumentException>(() => WeightEncoder.Encode(GgmlType.F16, new float[4], new byte[7]));
        Assert.Equal("destination", e1.ParamName);
        Assert.Contains("4 values as F16 take 8 bytes; the destination has 7.", e1.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ArgumentException>(() => WeightEncoder.Encode(GgmlType.Q8_0, new float[33], new byte[34]));
        Assert.Contains("33 is not a multiple of 32", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<ArgumentException>(() => WeightEncoder.Encode(GgmlType.IQ2_XXS, new float[256], new byte[66]));
        Assert.Contains("IQ2_XXS", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => WeightEncoder.Encode(GgmlType.Q4_K, new float[255], new byte[144]));
        Assert.Contains("255 is not a multiple of 256", e4.Message, StringComparison.Ordinal);
    }

    private static double[] RoundTrip(GgmlType type, float[] values)
    {
        var bytes = new byte[WeightEncoder.ByteCount(type, values.Length)];
        WeightEncoder.Encode(type, values, bytes);
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "test");
        writer.AddTensor("t", type, [values.Length], bytes);
        using var file = GgufFile.Parse(writer.ToArray());
        return ReferenceDequantizer.Dequantize(file, file.GetTensor("t"));
    }
}
