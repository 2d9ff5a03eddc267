using System.Runtime.Intrinsics;
using GqaGen.Llama;
using GqaGen.Kernels;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>The integer half → single conversion against the BCL's <see cref="Half"/>, for every finite half, and the
/// table the block scales read, for every half.</summary>
[Trait("Category", "Kernel")]
public sealed unsafe class HalfBitsTests
{
    [Fact]
    public void HalfBits_two_to_the_112_is_exact()
        => Assert.Equal(0x7780_0000, BitConverter.SingleToInt32Bits(HalfBits.TwoPow112));

    [Fact]
    public void Every_finite_half_converts_exactly_scalar_and_vector()
    {
        var bits = new short[65536];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = (short)i;
        fixed (short* p = bits)
        {
            for (int i = 0; i < bits.Length; i += 16)
            {
                Vector512<float> wide = HalfBits.Load16(p + i);
                Vector256<float> lower = HalfBits.Load8(p + i), upper = HalfBits.Load8(p + i + 8);
                for (int j = 0; j < 16; j++)
                {
                    ushort h = (ushort)(i + j);
                    Half half = BitConverter.UInt16BitsToHalf(h);
                    if (!Half.IsFinite(half))
                        continue;
                    int expected = BitConverter.SingleToInt32Bits((float)half);
                    Assert.True(expected == BitConverter.SingleToInt32Bits(HalfBits.ToSingle(h)), $"Scalar: half 0x{h:X4} ({half}) became {HalfBits.ToSingle(h):R}.");
                    Assert.True(expected == BitConverter.SingleToInt32Bits(wide[j]), $"Vector512: half 0x{h:X4} ({half}) became {wide[j]:R}.");
                    float narrow = j < 8 ? lower[j] : upper[j - 8];
                    Assert.True(expected == BitConverter.SingleToInt32Bits(narrow), $"Vector256: half 0x{h:X4} ({half}) became {narrow:R}.");
                }
            }
        }
    }

    [Fact]
    public void Every_half_reads_back_from_the_table_as_its_exact_single_NaN_and_infinities_included()
    {
        HalfBits.InitializeTable();
        for (int i = 0; i < 1 << 16; i++)
        {
            ushort h = (ushort)i;
            Half half = BitConverter.UInt16BitsToHalf(h);
            int expected = BitConverter.SingleToInt32Bits((float)half);
            Assert.True(expected == BitConverter.SingleToInt32Bits(HalfBits.FromTable(h)), $"Half 0x{h:X4} ({half}) read back as {HalfBits.FromTable(h):R}.");
        }
    }

    /// <summary>The documented behaviour for the one thing the trick does not preserve.</summary>
    [Fact]
    public void Infinities_read_as_plus_or_minus_65536()
    {
        Assert.Equal(65536f, HalfBits.ToSingle(BitConverter.HalfToUInt16Bits(Half.PositiveInfinity)));
        Assert.Equal(-65536f, HalfBits.ToSingle(BitConverter.HalfToUInt16Bits(Half.NegativeInfinity)));
    }
}
