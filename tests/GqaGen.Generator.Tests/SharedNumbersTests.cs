using System.Globalization;
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

    [Fact]
    public void GqaShape_Scale_is_one_over_the_square_root_of_HeadDim_correctly_rounded()
    {
        for (int d = 1; d <= GqaShape.MaxHeadDim; d++)
            Assert.Equal((float)(1.0 / Math.Sqrt(d)), new GqaShape(1, 1, d).Scale);
    }

    [GeneratedRegex(@"public const float Scale = (?<value>[0-9.E+-]+)f;")]
    private static partial Regex ScaleLiteral();
}
