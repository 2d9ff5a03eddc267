using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>Decode writes all of its output and logSumExp spans and nothing around them.</summary>
public sealed class OutputBoundaryTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string layout in new[] { nameof(Llama3_8B), nameof(Heads2Groups1Dim17), nameof(Heads2Groups2Dim15), nameof(Heads4Groups1Dim7), nameof(Heads1Groups1Dim1) })
            foreach (string decoder in new[] { EntryPoints.Generated, EntryPoints.Generic, EntryPoints.Reference })
                data.Add(layout, decoder);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_into_a_slice_of_a_poisoned_array_leaves_the_rest_untouched(string layoutName, string decoder)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using DecodeScenario scenario = DecodeScenario.Create(layout.Shape, 19, InputVariant.Uniform, layout.AppendKv, CaseSeed.For(nameof(OutputBoundaryTests), layoutName));
        var output = new GuardedBuffer(layout.Shape.QueryLength);
        var logSumExp = new GuardedBuffer(layout.Shape.Heads);

        EntryPoints.Decoder(decoder, layout)(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output.Inner, logSumExp.Inner);

        AttentionAssert.AssertFinite(output.Inner, "output", layout.Shape.HeadDim, $"{decoder} {layout}");
        AttentionAssert.AssertFinite(logSumExp.Inner, "logSumExp", 1, $"{decoder} {layout}");
        output.AssertMarginsUntouched($"{decoder} {layout}: output");
        logSumExp.AssertMarginsUntouched($"{decoder} {layout}: logSumExp");
    }
}
