using System.Runtime.Intrinsics;
using GqaGen.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Storage;

/// <summary>
/// <see cref="Q8_0Rows"/> writes llama.cpp's <c>block_q8_0</c> byte for byte as ggml's reference quantizer does
/// (<see cref="Q8_0Oracle"/>, transliterated from ggml-quants.c), on random rows and on the cases where a
/// plausible implementation would differ: exact .5 ties (roundf rounds away from zero, not to even), the unrounded
/// 1/d (not the stored half scale), tiny blocks whose scale is a half subnormal or rounds to zero, all-zero and
/// negative-zero blocks, padding of a partial last block; and every half scale read back by the loads. The loads on
/// random rows are checked in <see cref="RowLoadTests"/>.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class Q8_0RowsTests
{
    [Fact]
    public void A_hand_worked_row_has_the_block_q8_0_layout_and_rounds_halves_away_from_zero()
    {
        // Block 0: max|x| = 127, so d = 1 (half 0x3C00) and 1/d = 1: q is x rounded, halves away from zero.
        // Block 1 (8 elements, then 24 of padding): max|x| = 63.5, so d = 0.5 exactly (0x3800) and 1/d = 2.
        float[] x = new float[40];
        float[] block0 = [127f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 0.49999997f, -0.49999997f, 3f, -3f, 0f, -0f, 64.5f];
        block0.CopyTo(x, 0);
        for (int j = block0.Length; j < 32; j++)
            x[j] = j - 100.5f; // -84.5 … -68.5: ties again
        float[] block1 = [-63.5f, 0.25f, -0.25f, 0.75f, 10f, -10.25f, 31.75f, 1e-3f];
        block1.CopyTo(x, 32);

        byte[] expected = new byte[68];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        sbyte[] q0 = [127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 0, 3, -3, 0, 0, 65];
        for (int j = 0; j < 32; j++)
            expected[2 + j] = (byte)(j < q0.Length ? q0[j] : (sbyte)-(100 - j + 1)); // -(100.5 − j) away from zero
        expected[34] = 0x00;
        expected[35] = 0x38;
        sbyte[] q1 = [-127, 1, -1, 2, 20, -21, 64, 0]; // 2x: −127, 0.5→1, −0.5→−1, 1.5→2, 20, −20.5→−21, 63.5→64, 0.002→0
        for (int j = 0; j < q1.Length; j++)
            expected[36 + j] = (byte)q1[j];

        Assert.Equal(expected, Q8_0Oracle.Quantize(x)); // the oracle agrees with the hand-worked bytes
        Assert.Equal(expected, Encode(x));
    }

    [Fact]
    public void Scales_are_the_unrounded_inverse_not_the_stored_half()
    {
        // E.g. max|x| = 100: d = 0.787401…, stored as the half 0.78759765625; ggml multiplies by 1/d = 1.27, not by
        // 1/0.78759765625 = 1.26968…. Random blocks of random scales find elements where the two round differently.
        var random = new Random(CaseSeed.For(nameof(Scales_are_the_unrounded_inverse_not_the_stored_half)));
        int differing = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            float[] x = RandomBlocks(random, 64, scale: (float)Math.Pow(2, -8 + 16 * random.NextDouble()));
            byte[] expected = Q8_0Oracle.Quantize(x);
            AssertSameBytes(expected, Encode(x), x);
            differing += CountBytesThatDifferWithTheStoredScale(x, expected);
        }
        // Otherwise the data could not tell the two quantizers apart and the byte comparison above would prove nothing.
        Assert.True(differing > 0, "No random byte depends on using the unrounded 1/d; the test data cannot tell the two quantizers apart.");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(40)]
    [InlineData(96)]
    [InlineData(100)]
    [InlineData(128)]
    [InlineData(130)]
    [InlineData(256)]
    public void Random_rows_match_ggml_byte_for_byte(int headDim)
    {
        var random = new Random(CaseSeed.For(nameof(Random_rows_match_ggml_byte_for_byte), headDim));
        for (int trial = 0; trial < 200; trial++)
        {
            float[] x = RandomBlocks(random, headDim, scale: (float)Math.Pow(2, -20 + 40 * random.NextDouble()));
            AssertSameBytes(Q8_0Oracle.Quantize(x), Encode(x), x);
        }
    }

    public static TheoryData<string, float[]> SpecialBlocks() => new()
    {
        { "all zeros", new float[32] },
        { "all negative zeros", Enumerable.Repeat(-0f, 32).ToArray() },
        { "one non-zero element", Enumerable.Range(0, 32).Select(j => j == 7 ? -3.25f : 0f).ToArray() },
        // max|x| = 1e-5: d = 7.9e-8 is a half subnormal (1 or 2 × 2^-24), far from its true value.
        { "tiny: subnormal scale", Enumerable.Range(0, 32).Select(j => 1e-5f * MathF.Sin(j + 1)).ToArray() },
        // max|x| = 1e-7: d = 7.9e-10 rounds to the half 0, so the block reads back as zeros, but q is still computed.
        { "tiny: scale rounds to zero", Enumerable.Range(0, 32).Select(j => 1e-7f * MathF.Cos(j)).ToArray() },
        // max|x| = 2^-120: 1/d is still finite in single precision.
        { "tiniest with a finite 1/d", Enumerable.Range(0, 32).Select(j => MathF.ScaleB(MathF.Sin(j + 1), -120)).ToArray() },
        // max|x| = 65504·127: the largest block whose scale is a finite half.
        { "largest finite scale", Enumerable.Range(0, 32).Select(j => j == 0 ? 65504f * 127f : -j * 1000f).ToArray() },
        { "alternating signs at max", Enumerable.Range(0, 32).Select(j => j % 2 == 0 ? 5f : -5f).ToArray() },
        { "a partial block (17)", Enumerable.Range(0, 17).Select(j => j * 0.37f - 3f).ToArray() },
    };

    [Theory]
    [MemberData(nameof(SpecialBlocks))]
    public void Special_blocks_match_ggml_byte_for_byte(string name, float[] x)
    {
        byte[] expected = Q8_0Oracle.Quantize(x);
        AssertSameBytes(expected, Encode(x), x, name);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Q8_0Oracle.Dequantize(expected, i), Load(x, i));
    }

    [Fact]
    public void A_block_whose_scale_is_zero_reads_back_as_zeros()
    {
        float[] x = Enumerable.Range(0, 32).Select(j => 1e-7f * (j + 1)).ToArray();
        byte[] row = Encode(x);
        Assert.Equal(0, row[0] | row[1] << 8);
        for (int i = 0; i < 32; i++)
            Assert.Equal(0f, Math.Abs(Q8_0Rows.Load(ref row[0], i)));
    }

    [Fact]
    public void A_NaN_element_makes_its_block_read_back_as_NaN_as_Encode_documents()
    {
        // Q8_0Rows.Encode's comment: "a NaN element makes d NaN, so its whole block reads back as NaN". A NaN in K or
        // V must not turn silently into numbers: Float32 and BFloat16 caches carry it into the kernels' outputs.
        float[] x = Enumerable.Range(0, 64).Select(j => j - 20.5f).ToArray();
        x[3] = float.NaN;
        byte[] row = Encode(x);
        for (int i = 0; i < 32; i++)
        {
            float loaded = Q8_0Rows.Load(ref row[0], i);
            Assert.True(float.IsNaN(loaded),
                $"Element {i} of the block holding a NaN reads back as {loaded:R} (stored scale 0x{row[1]:X2}{row[0]:X2}, q {(sbyte)row[2 + i]}), not NaN: the NaN was silently replaced by a number.");
        }
        Assert.Equal(23.5f, Q8_0Rows.Load(ref row[0], 44), 0.5f); // x[44]: the next block is untouched
    }

    [Fact]
    public void Every_half_scale_reads_back_as_its_exact_value_in_the_scalar_and_vector_loads()
    {
        // The loads take a block's scale from a table of every half's single. A two-block row gets each of the 65,536
        // scale bit patterns in its first block (the second keeps scale 1): every element of the first block, and the
        // lanes of the block-crossing loads that fall in it, must read back as q · (float)Half, subnormals exact,
        // infinities as infinities, NaN as NaN, through Load, Load512 and Load256 (whichever ISA path this run has).
        byte[] row = new byte[Q8_0Rows.RowBytes(64)];
        sbyte[] quants = new sbyte[64];
        for (int j = 0; j < 64; j++)
            quants[j] = (sbyte)((j * 37 % 255) - 127);
        for (int j = 0; j < 32; j++)
        {
            row[2 + j] = (byte)quants[j];
            row[36 + j] = (byte)quants[32 + j];
        }
        row[34] = 0x00;
        row[35] = 0x3C; // scale 1
        for (int bits = 0; bits < 1 << 16; bits++)
        {
            row[0] = (byte)bits;
            row[1] = (byte)(bits >> 8);
            float d = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            for (int e = 0; e < 32; e++)
                AssertLoaded(quants[e] * d, Q8_0Rows.Load(ref row[0], e), bits, "Load", e);
            foreach (int start in new[] { 0, 16, 20 }) // 20: lanes 0..11 in this block, 12..15 in the next
            {
                Vector512<float> v = Q8_0Rows.Load512(ref row[0], start);
                for (int lane = 0; lane < 16; lane++)
                    AssertLoaded(quants[start + lane] * (start + lane < 32 ? d : 1f), v[lane], bits, "Load512", start + lane);
            }
            foreach (int start in new[] { 0, 8, 24, 28 }) // 28: lanes 0..3 in this block, 4..7 in the next
            {
                Vector256<float> v = Q8_0Rows.Load256(ref row[0], start);
                for (int lane = 0; lane < 8; lane++)
                    AssertLoaded(quants[start + lane] * (start + lane < 32 ? d : 1f), v[lane], bits, "Load256", start + lane);
            }
        }

        static void AssertLoaded(float expected, float actual, int bits, string load, int element)
        {
            bool same = float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual);
            if (!same)
                Assert.Fail($"Scale 0x{bits:X4}: {load} read element {element} as {actual:R}, expected {expected:R}.");
        }
    }

    private static byte[] Encode(ReadOnlySpan<float> x)
    {
        var row = new byte[Q8_0Rows.RowBytes(x.Length)];
        Array.Fill(row, (byte)0xA5); // every byte, padding included, must be written
        Q8_0Rows.Encode(x, row);
        return row;
    }

    private static float Load(float[] x, int element)
    {
        byte[] row = Encode(x);
        return Q8_0Rows.Load(ref row[0], element);
    }

    /// <summary>Elements uniform in ±scale, never zero, with each block's largest magnitude somewhere inside it.</summary>
    private static float[] RandomBlocks(Random random, int length, float scale)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = scale * (float)((random.Next(2) == 0 ? 1 : -1) * (1 - random.NextDouble()));
        return x;
    }

    /// <summary>How many q bytes change when they are computed from the stored half scale instead of ggml's unrounded 1/d.</summary>
    private static int CountBytesThatDifferWithTheStoredScale(float[] x, byte[] ggml)
    {
        int count = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int at = i / 32 * 34;
            double stored = HalfOracle.Value((ushort)(ggml[at] | ggml[at + 1] << 8));
            if (stored == 0)
                continue;
            double q = Math.Round(x[i] / stored, MidpointRounding.AwayFromZero);
            if ((sbyte)Math.Clamp(q, -127, 127) != (sbyte)ggml[at + 2 + i % 32])
                count++;
        }
        return count;
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, float[] x, string? name = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i])
                continue;
            int block = i / 34, within = i % 34;
            string what = within < 2 ? $"scale byte {within}" : $"q of element {block * 32 + within - 2} (x = {(block * 32 + within - 2 < x.Length ? x[block * 32 + within - 2].ToString("R") : "padding")})";
            Assert.Fail($"{name ?? $"A row of {x.Length}"}: block {block} {what} is 0x{actual[i]:X2}; ggml's reference quantizer writes 0x{expected[i]:X2}.");
        }
    }
}
