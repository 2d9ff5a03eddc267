using System.Runtime.Intrinsics;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// The AVX-512 kernels read the K-quants through <c>DecodeBlock</c> + <c>LoadDecoded</c> (a super-block's scales
/// unpacked once, vectorized) and the nibble formats through table lookups; the other paths and
/// <c>Element</c> decode each group on its own. These check, on random super-blocks, that the two readings are the
/// same bits, weight by weight, and that the lookups return the table entry each index names.
/// </summary>
[Trait("Category", "Kernel")]
public sealed unsafe class DecodedBlockTests
{
    [Fact]
    public void Q2_KDecodedLoadsMatchElements() => DecodedMatchesElements<Q2_KFormat>(seed: 21, halves: [80, 82]);

    [Fact]
    public void Q3_KDecodedLoadsMatchElements() => DecodedMatchesElements<Q3_KFormat>(seed: 31, halves: [108]);

    [Fact]
    public void Q4_KDecodedLoadsMatchElements() => DecodedMatchesElements<Q4_KFormat>(seed: 41, halves: [0, 2]);

    [Fact]
    public void Q5_KDecodedLoadsMatchElements() => DecodedMatchesElements<Q5_KFormat>(seed: 51, halves: [0, 2]);

    [Fact]
    public void Q6_KDecodedLoadsMatchElements() => DecodedMatchesElements<Q6_KFormat>(seed: 61, halves: [208]);

    [Fact]
    public void Lookup16ReadsTheLowFourBitsOfEachIndex()
    {
        var random = new Random(7);
        float[] table = RandomFloats(random, 16);
        int[] index = new int[16];
        for (int i = 0; i < 16; i++)
            index[i] = random.Next();
        Vector512<float> result = QuantBits.Lookup16(Vector512.Create(table), Vector512.Create(index));
        for (int i = 0; i < 16; i++)
            Assert.Equal(table[index[i] & 15], result[i]);
    }

    [Fact]
    public void Lookup32ReadsTheLowFiveBitsOfEachIndex()
    {
        var random = new Random(8);
        float[] table = RandomFloats(random, 32);
        int[] index = new int[16];
        for (int i = 0; i < 16; i++)
            index[i] = random.Next();
        Vector512<float> result = QuantBits.Lookup32(Vector512.Create(table.AsSpan(0, 16)), Vector512.Create(table.AsSpan(16, 16)), Vector512.Create(index));
        for (int i = 0; i < 16; i++)
            Assert.Equal(table[index[i] & 31], result[i]);
    }

    [Fact]
    public void FifthBitsPutsEachLanesBitAtBitFour()
    {
        var random = new Random(9);
        for (int trial = 0; trial < 100; trial++)
        {
            uint bits = (uint)random.NextInt64(0, 1L << 32);
            int first = random.Next(2) * 16;
            Vector512<int> fifth = QuantBits.FifthBits(bits, first);
            for (int i = 0; i < 16; i++)
                Assert.Equal((int)(bits >> (first + i)) & 1, (fifth[i] >> 4) & 1);
        }
    }

    private static float[] RandomFloats(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>Random super-blocks (finite halves at <paramref name="halves"/>): every group's
    /// <c>LoadDecoded</c> weights must be the bits of <c>Element</c>, which decodes the group's scale by itself.</summary>
    private static void DecodedMatchesElements<TFormat>(int seed, int[] halves)
        where TFormat : IWeightFormat
    {
        var random = new Random(seed);
        var block = new byte[TFormat.BlockBytes];
        float* coefficients = stackalloc float[IWeightFormat.MaxBlockCoefficients];
        for (int trial = 0; trial < 50; trial++)
        {
            random.NextBytes(block);
            foreach (int h in halves)
                BitConverter.TryWriteBytes(block.AsSpan(h), BitConverter.HalfToUInt16Bits((Half)(random.NextDouble() * 0.01)));
            fixed (byte* b = block)
            {
                TFormat.DecodeBlock(b, coefficients);
                for (int group = 0; group < TFormat.BlockElements / WeightBlock.Elements; group++)
                {
                    TFormat.LoadDecoded(b, group, coefficients, out Vector512<float> w0, out Vector512<float> w1);
                    for (int i = 0; i < 32; i++)
                    {
                        float expected = TFormat.Element(b, group * 32 + i);
                        float actual = i < 16 ? w0[i] : w1[i - 16];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"{typeof(TFormat).Name} trial {trial}, group {group}, weight {i}: {actual:R}, expected {expected:R} (Element).");
                    }
                }
            }
        }
    }
}
