using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The numbers the generated kernels and the runtime share come from one file (src/Runtime/GqaGen/Shared), so they
/// cannot drift; these tests pin the one that did (the softmax scale) through what the emitter actually writes.
/// </summary>
public sealed partial class SharedNumbersTests
{
    [Fact]
    public void Generated_Scale_equals_GqaShape_Scale_bit_for_bit_for_every_HeadDim()
    {
        var mismatches = new List<string>();
        for (int d = 1; d <= GqaShape.MaxHeadDim; d++)
        {
            string source = KernelEmitter.Emit(new LayoutSpec("Models", EquatableArray<string>.Empty, "struct", "Layout", 1, 1, d));
            Match literal = ScaleLiteral().Match(source);
            Assert.True(literal.Success, $"No 'public const float Scale = …f;' in the source emitted for HeadDim {d}.");
            // The C# compiler and float.Parse both round a decimal literal to the nearest float, so this is the constant's value.
            float generated = float.Parse(literal.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            float runtime = new GqaShape(1, 1, d).Scale;
            if (BitConverter.SingleToInt32Bits(generated) != BitConverter.SingleToInt32Bits(runtime))
                mismatches.Add($"d = {d}: generated {generated:R}, GqaShape.Scale {runtime:R}");
        }
        Assert.True(mismatches.Count == 0, "The generated Scale differs from GqaShape.Scale for:\n" + string.Join("\n", mismatches));
    }

    /// <summary>
    /// Checked exactly, not by recomputing the formula: 1/√d lies strictly between the midpoints of Scale and its two
    /// neighbouring floats, that is lo² · d &lt; 1 &lt; hi² · d, evaluated in integers (a midpoint of two floats is exact
    /// in double, and its square times d is exact as a BigInteger).
    /// </summary>
    [Fact]
    public void GqaShape_Scale_is_one_over_the_square_root_of_HeadDim_correctly_rounded()
    {
        var wrong = new List<string>();
        for (int d = 1; d <= GqaShape.MaxHeadDim; d++)
        {
            float scale = new GqaShape(1, 1, d).Scale;
            double below = ((double)MathF.BitDecrement(scale) + scale) / 2;
            double above = ((double)MathF.BitIncrement(scale) + scale) / 2;
            if (CompareSquareTimes(below, d) >= 0 || CompareSquareTimes(above, d) <= 0)
                wrong.Add($"d = {d}: {scale:R}");
        }
        Assert.True(wrong.Count == 0, "Scale is not the float nearest to 1/√d for:\n" + string.Join("\n", wrong));
    }

    /// <summary>
    /// The generator's copy of the storage types (it cannot reference the runtime) names every flag the runtime's
    /// KvElementTypes has, with the same value, and sizes rows as the runtime does for every head dimension, so the
    /// remarks' byte counts and the parser's "unknown bits" are the runtime's.
    /// </summary>
    [Fact]
    public void Generator_storage_types_match_the_runtime_enums_and_row_sizes()
    {
        Assert.Equal(Enum.GetNames<KvElementTypes>().Order(), Enum.GetNames<KvStorageTypes>().Order());
        foreach (KvStorageTypes type in Enum.GetValues<KvStorageTypes>())
            Assert.Equal((int)type, (int)Enum.Parse<KvElementTypes>(type.ToString()));
        Assert.Equal(Enum.GetNames<KvElementType>(), KvStorage.Each.Select(KvStorage.Name));
        foreach (KvStorageTypes type in KvStorage.Each)
        {
            KvElementType runtime = Enum.Parse<KvElementType>(KvStorage.Name(type));
            Assert.Equal(runtime.ToFlag(), (KvElementTypes)(int)type);
            Assert.Equal(runtime.ShortName(), KvStorage.ShortName(type));
            Assert.Equal("GqaGen.Kernels." + KvStorage.RowsStruct(type), typeof(KvCache).Assembly.GetTypes().Single(t => t.Name == KvStorage.RowsStruct(type)).FullName);
            for (int d = 1; d <= GqaShape.MaxHeadDim; d++)
                Assert.True(runtime.RowBytes(d) == KvStorage.RowBytes(type, d), $"{type}, d = {d}: runtime {runtime.RowBytes(d)} bytes, generator {KvStorage.RowBytes(type, d)}");
        }
    }

    /// <summary>The sign of m² · d − 1 for a positive, normal double m, computed exactly.</summary>
    private static int CompareSquareTimes(double m, int d)
    {
        long bits = BitConverter.DoubleToInt64Bits(m);
        long mantissa = (bits & 0xF_FFFF_FFFF_FFFFL) | (1L << 52);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1075;   // m = mantissa · 2^exponent, exponent < 0 for m < 1
        BigInteger left = (BigInteger)mantissa * mantissa * d;
        BigInteger right = BigInteger.One << (-2 * exponent);
        return left.CompareTo(right);
    }

    [GeneratedRegex(@"public const float Scale = (?<value>[0-9.E+-]+)f;")]
    private static partial Regex ScaleLiteral();
}
