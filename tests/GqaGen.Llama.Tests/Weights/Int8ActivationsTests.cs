namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// <see cref="Int8Activations"/> against a plain re-implementation of its definition, written here: per block of 256
/// (or 32),
/// <c>scale = max|x| / 127</c>, <c>inverse = 1 / scale</c> (both 0 where that is infinite: a zero block or max|x| below about 3.7e-37), <c>q = clamp(round-half-even(x · inverse),
/// −127, 127)</c>, the sum of every 16 quants, and for 32-element blocks each block's sum times its scale. Run once per instruction-set configuration (the default, and with
/// <c>DOTNET_EnableHWIntrinsic=0</c>, which takes the scalar loop), the bits must be the same.
/// </summary>
[Trait("Category", "Kernel")]
public sealed unsafe class Int8ActivationsTests
{
    public static TheoryData<int, int> Lengths() => new()
    {
        { 256, 256 }, { 512, 256 }, { 2048, 256 }, { 5632, 256 },
        { 32, 32 }, { 96, 32 }, { 896, 32 }, { 5632, 32 },
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Quants_scales_and_slice_sums_are_the_definitions_bits(int length, int blockElements)
    {
        float[] x = RandomActivations(length, seed: length);
        var activations = new Int8Activations(length, blockElements);
        Assert.Equal(length, activations.Length);
        Assert.Equal(blockElements, activations.BlockElements);
        activations.Quantize(x);
        AssertMatchesReference(x, activations, $"{length} random elements in blocks of {blockElements}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dequantized_elements_are_quant_times_scale_and_within_half_a_step_of_the_input(int length, int blockElements)
    {
        float[] x = RandomActivations(length, seed: 7 * length + 1);
        var activations = new Int8Activations(length, blockElements);
        activations.Quantize(x);
        var dequantized = new float[length];
        dequantized.AsSpan().Fill(float.NaN);
        activations.Dequantize(dequantized);
        for (int i = 0; i < length; i++)
        {
            float scale = activations.Scales[i / blockElements];
            Assert.True(scale > 0, $"block {i / blockElements} has scale {scale}; every block of this input is nonzero.");
            float expected = activations.Quants[i] * scale;
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(dequantized[i]),
                $"element {i}: dequantized {dequantized[i]:R}, expected {activations.Quants[i]} · {scale:R} = {expected:R}.");
            // Rounding to nearest moves an element by at most half a step; the slack covers the fp32 rounding of
            // x · (1 / scale) and of q · scale (|x| ≤ 127 · scale, so a few ulps of it are below 1e-4 · scale).
            double error = Math.Abs((double)x[i] - dequantized[i]);
            Assert.True(error <= scale * (0.5 + 1e-4), $"element {i}: {x[i]:R} dequantizes to {dequantized[i]:R}, off by {error:E3} > scale / 2 = {scale / 2:E3}.");
        }
    }

    [Fact]
    public void Ties_round_to_even()
    {
        // A block whose largest element is 127 · 2^e has scale 2^e exactly and inverse 2^-e, so x · inverse is exact
        // and (k + 0.5) · 2^e is an exact tie. Every block has a different e and random ties of both signs.
        const int Length = 1024;
        var random = new Random(11);
        var x = new float[Length];
        for (int block = 0; block < Length / 256; block++)
        {
            float step = MathF.ScaleB(1f, block * 3 - 4);
            for (int i = 0; i < 256; i++)
                x[block * 256 + i] = (random.Next(-127, 127) + 0.5f) * step;
            x[block * 256 + random.Next(256)] = (block % 2 == 0 ? 127 : -127) * step;
        }
        var activations = new Int8Activations(Length);
        activations.Quantize(x);
        AssertMatchesReference(x, activations, "ties");
        int ties = 0;
        for (int i = 0; i < Length; i++)
        {
            float step = MathF.ScaleB(1f, i / 256 * 3 - 4);
            Assert.Equal(step, activations.Scales[i / 256]);
            double exact = x[i] / step;
            if (exact != Math.Floor(exact) + 0.5)
                continue;
            ties++;
            // Independent of the reference's rounding: the even one of the two neighbours.
            double even = Math.Floor(exact) % 2 == 0 ? Math.Floor(exact) : Math.Floor(exact) + 1;
            Assert.True(activations.Quants[i] == even, $"element {i}: {exact} (a tie) quantized to {activations.Quants[i]}, not to the even {even}.");
        }
        Assert.True(ties > Length - 8, $"only {ties} ties; the test meant almost every element to be one.");

        // The classic cases, one block: 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → 0, −1.5 → −2, −2.5 → −2, 126.5 → 126.
        var small = new float[256];
        small[0] = 127;
        float[] cases = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f];
        sbyte[] expected = [0, 2, 2, 0, -2, -2, 126, -126];
        cases.CopyTo(small, 1);
        for (int i = 1 + cases.Length; i < 256; i++)
            small[i] = random.Next(-127, 128);
        var one = new Int8Activations(256);
        one.Quantize(small);
        Assert.Equal(1f, one.Scales[0]);
        Assert.Equal(expected, one.Quants.Slice(1, cases.Length).ToArray());
        AssertMatchesReference(small, one, "classic ties");
    }

    [Fact]
    public void An_all_zero_block_has_scale_zero_and_quants_zero_beside_nonzero_blocks()
    {
        const int Length = 1024;
        float[] x = RandomActivations(Length, seed: 21);
        // Block 1 all zeros, of both signs; block 3 all zeros after a first quantization left other values there.
        for (int i = 256; i < 512; i++)
            x[i] = i % 3 == 0 ? -0f : 0f;
        var activations = new Int8Activations(Length);
        activations.Quantize(RandomActivations(Length, seed: 22));
        Array.Clear(x, 768, 256);
        activations.Quantize(x);
        foreach (int block in new[] { 1, 3 })
        {
            Assert.True(BitConverter.SingleToInt32Bits(activations.Scales[block]) == 0, $"block {block}: scale {activations.Scales[block]:R}, expected +0.");
            for (int i = 256 * block; i < 256 * (block + 1); i++)
                Assert.True(activations.Quants[i] == 0, $"element {i} of zero block {block} quantized to {activations.Quants[i]}.");
        }
        Assert.True(activations.Scales[0] > 0 && activations.Scales[2] > 0);
        AssertMatchesReference(x, activations, "zero blocks 1 and 3");
        var dequantized = new float[Length];
        dequantized.AsSpan().Fill(float.NaN);
        activations.Dequantize(dequantized);
        Assert.All(dequantized.AsSpan(256, 256).ToArray(), v => Assert.Equal(0f, v));

        // And a wholly zero vector, quantized over the random one.
        var zeros = new float[Length];
        activations.Quantize(zeros);
        Assert.All(activations.Scales.ToArray(), s => Assert.Equal(0f, s));
        Assert.All(activations.Quants.ToArray(), q => Assert.Equal(0, q));
        AssertMatchesReference(zeros, activations, "all zeros");
    }

    [Theory]
    [InlineData(1e-30f)]
    [InlineData(1e-36f)]
    [InlineData(1e30f)]
    [InlineData(3e38f)]
    public void Tiny_and_huge_blocks_follow_the_definition(float max)
    {
        // Down to max|x| of about 3.7e-37; below that 1 / scale overflows (see the next test).
        var random = new Random(BitConverter.SingleToInt32Bits(max));
        var x = new float[512];
        for (int i = 0; i < x.Length; i++)
            x[i] = (random.NextSingle() * 2 - 1) * max;
        x[17] = -max;
        x[300] = max;
        var activations = new Int8Activations(512);
        activations.Quantize(x);
        AssertMatchesReference(x, activations, $"max|x| = {max:R}");
        var dequantized = new float[512];
        activations.Dequantize(dequantized);
        for (int i = 0; i < x.Length; i++)
        {
            float scale = activations.Scales[i / 256];
            double error = Math.Abs((double)x[i] - dequantized[i]);
            Assert.True(float.IsFinite(dequantized[i]) && error <= scale * (0.5 + 1e-4), $"max|x| = {max:R}, element {i}: {x[i]:R} dequantizes to {dequantized[i]:R}, scale {scale:R}.");
        }
    }

    [Theory]
    [InlineData(3e-37f)]
    [InlineData(1e-38f)]
    [InlineData(1e-40f)]
    public void Blocks_too_small_for_a_finite_inverse_quantize_to_zero(float max)
    {
        // 1 / (max / 127) overflows below about 3.7e-37; ggml's quantize_row_q8_K would send every element to ±127 there,
        // moving x[1] = max / 5 by four fifths of max. Flushing the block moves every element by at most max instead.
        var x = RandomActivations(512, seed: 5);
        for (int i = 0; i < 256; i++)
            x[i] = 0;
        x[0] = max;
        x[1] = max / 5;
        x[2] = -max / 3;
        var activations = new Int8Activations(512);
        activations.Quantize(x);
        Assert.Equal(0f, activations.Scales[0]);
        Assert.All(activations.Quants[..256].ToArray(), q => Assert.Equal(0, q));
        Assert.True(activations.Scales[1] > 0, "The second, ordinary block keeps its scale.");
        AssertMatchesReference(x, activations, $"max|x| = {max:R} in block 0");
    }

    [Fact]
    public void Quantizing_again_gives_the_bits_of_a_fresh_quantization()
    {
        float[] first = RandomActivations(512, seed: 31);
        float[] second = RandomActivations(512, seed: 32);
        var reused = new Int8Activations(512);
        reused.Quantize(first);
        reused.Quantize(second);
        AssertMatchesReference(second, reused, "second quantization into the same object");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-256)]
    [InlineData(100)]
    [InlineData(255)]
    [InlineData(257)]
    [InlineData(1000)]
    public void A_length_that_is_not_a_positive_multiple_of_256_is_refused(int length)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Int8Activations(length));
        Assert.Equal("length", e.ParamName);
        Assert.Equal(length, e.ActualValue);
        Assert.Contains("multiple of 256", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_and_Dequantize_of_the_wrong_length_name_both_lengths()
    {
        var activations = new Int8Activations(512);
        foreach (int wrong in new[] { 0, 256, 511, 513, 768 })
        {
            var q = Assert.Throws<ArgumentException>(() => activations.Quantize(new float[wrong]));
            Assert.Equal("x", q.ParamName);
            Assert.Contains("length 512", q.Message, StringComparison.Ordinal);
            Assert.Contains($"got {wrong}", q.Message, StringComparison.Ordinal);

            var d = Assert.Throws<ArgumentException>(() => activations.Dequantize(new float[wrong]));
            Assert.Equal("destination", d.ParamName);
            Assert.Contains("length 512", d.Message, StringComparison.Ordinal);
            Assert.Contains($"destination of {wrong}", d.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(100)]
    public void A_length_that_is_not_a_positive_multiple_of_32_is_refused_in_32_element_blocks(int length)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Int8Activations(length, 32));
        Assert.Equal("length", e.ParamName);
        Assert.Equal(length, e.ActualValue);
        Assert.Contains("multiple of 32", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-32)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(512)]
    public void A_block_size_other_than_256_or_32_is_refused(int blockElements)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Int8Activations(512, blockElements));
        Assert.Equal("blockElements", e.ParamName);
        Assert.Equal(blockElements, e.ActualValue);
        Assert.Contains("256", e.Message, StringComparison.Ordinal);
        Assert.Contains("32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_and_tiny_32_element_blocks_quantize_to_zero_beside_ordinary_ones()
    {
        float[] x = RandomActivations(256, seed: 41);
        Array.Clear(x, 32, 32);
        for (int i = 96; i < 128; i++)
            x[i] = 1e-38f;
        var activations = new Int8Activations(256, 32);
        activations.Quantize(x);
        foreach (int block in new[] { 1, 3 })
        {
            Assert.Equal(0f, activations.Scales[block]);
            Assert.All(activations.Quants.Slice(32 * block, 32).ToArray(), q => Assert.Equal(0, q));
        }
        Assert.True(activations.Scales[0] > 0 && activations.Scales[2] > 0);
        AssertMatchesReference(x, activations, "zero block 1, tiny block 3");
    }

    /// <summary>Uniform in [−1, 1), each block scaled by a different power of ten (1e-3 to 1e3), a few exact zeros and
    /// negative zeros, and in some blocks the largest magnitude negative.</summary>
    internal static float[] RandomActivations(int length, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            float blockScale = MathF.Pow(10, i / 256 % 7 - 3);
            x[i] = (random.NextSingle() * 2 - 1) * blockScale;
        }
        for (int i = 5; i < length; i += 97)
            x[i] = i % 2 == 0 ? 0f : -0f;
        return x;
    }

    /// <summary>Fails unless the quants, scales and slice sums (and, in 32-element blocks, the scaled sums) are the
    /// reference's, bit for bit.</summary>
    internal static void AssertMatchesReference(float[] x, Int8Activations activations, string context)
    {
        int size = activations.BlockElements;
        (sbyte[] quants, float[] scales, short[] sliceSums) = Reference(x, size);
        Assert.Equal(x.Length, activations.Quants.Length);
        Assert.Equal(scales.Length, activations.Scales.Length);
        for (int b = 0; b < scales.Length; b++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(scales[b]) == BitConverter.SingleToInt32Bits(activations.Scales[b]),
                $"{context}: block {b} has scale {activations.Scales[b]:R}, expected max|x| / 127 = {scales[b]:R}.");
        }
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(quants[i] == activations.Quants[i],
                $"{context}: element {i} ({x[i]:R}, block scale {scales[i / size]:R}) quantized to {activations.Quants[i]}, expected {quants[i]}.");
        }
        short* sums = activations.SliceSumPointer;
        for (int s = 0; s < sliceSums.Length; s++)
            Assert.True(sliceSums[s] == sums[s], $"{context}: slice {s} (elements {16 * s} to {16 * s + 15}) sums to {sums[s]}, expected {sliceSums[s]}.");
        if (size == Int8Activations.SmallBlockElements)
        {
            for (int b = 0; b < scales.Length; b++)
            {
                int blockSum = sliceSums[2 * b] + sliceSums[2 * b + 1];
                float scaled = scales[b] * blockSum;
                Assert.True(BitConverter.SingleToInt32Bits(scaled) == BitConverter.SingleToInt32Bits(activations.ScaledSumPointer[b]),
                    $"{context}: block {b}'s scaled sum is {activations.ScaledSumPointer[b]:R}, expected {scales[b]:R} · {blockSum} = {scaled:R}.");
            }
        }
    }

    /// <summary>The definition, one element at a time; rounding written out (floor, then the half case to even) rather
    /// than through MathF.Round.</summary>
    private static (sbyte[] Quants, float[] Scales, short[] SliceSums) Reference(float[] x, int size)
    {
        var quants = new sbyte[x.Length];
        var scales = new float[x.Length / size];
        var sums = new short[x.Length / 16];
        for (int b = 0; b < scales.Length; b++)
        {
            float max = 0;
            for (int i = size * b; i < size * (b + 1); i++)
            {
                float magnitude = x[i] < 0 ? -x[i] : x[i];
                if (magnitude > max)
                    max = magnitude;
            }
            float scale = max / 127f;
            float inverse = 1f / scale;
            if (float.IsPositiveInfinity(inverse))
            {
                // Zero blocks, and blocks so small that 1 / scale overflows, quantize to zero.
                scale = 0;
                inverse = 0;
            }
            scales[b] = scale;
            for (int i = size * b; i < size * (b + 1); i++)
            {
                float product = x[i] * inverse;
                double floor = Math.Floor(product);
                double fraction = product - floor;
                double rounded = fraction > 0.5 ? floor + 1 : fraction < 0.5 ? floor : floor % 2 == 0 ? floor : floor + 1;
                int q = (int)Math.Max(-127, Math.Min(127, rounded));
                quants[i] = (sbyte)q;
                sums[i / 16] += (short)q;
            }
        }
        return (quants, scales, sums);
    }
}
