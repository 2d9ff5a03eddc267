using System.Reflection;
using GqaGen.Tests.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>The generated constants and <c>Shape</c> describe the layout written in the attribute.</summary>
public sealed class GeneratedSurfaceTests
{
    [Theory]
    [MemberData(nameof(KernelCases.LayoutNames), MemberType = typeof(KernelCases))]
    public void Constants_and_shape_match_the_attribute(string layoutName)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaLayoutAttribute attribute = layout.Type.GetCustomAttribute<GqaLayoutAttribute>()!;
        var expected = new GqaShape(attribute.Heads, attribute.KvGroups, attribute.HeadDim);

        Assert.Equal(expected, layout.Shape);
        Assert.Equal(attribute.Heads, Constant<int>(layout.Type, "Heads"));
        Assert.Equal(attribute.KvGroups, Constant<int>(layout.Type, "KvGroups"));
        Assert.Equal(attribute.HeadDim, Constant<int>(layout.Type, "HeadDim"));
        Assert.Equal(attribute.Heads / attribute.KvGroups, Constant<int>(layout.Type, "HeadsPerGroup"));
        Assert.Equal(1 / Math.Sqrt(attribute.HeadDim), Constant<float>(layout.Type, "Scale"), 1e-7 / Math.Sqrt(attribute.HeadDim));
    }

    [Fact]
    public void Length_overload_equals_the_range_overload_from_zero()
    {
        LayoutKernel layout = LayoutCatalog.Get(nameof(Layouts.Qwen25_0_5B));
        using DecodeScenario scenario = DecodeScenario.Create(layout.Shape, 33, InputVariant.Uniform, layout.AppendKv, CaseSeed.For(nameof(Length_overload_equals_the_range_overload_from_zero)));
        var byRange = new float[layout.Shape.QueryLength];
        var byLength = new float[layout.Shape.QueryLength];

        Layouts.Qwen25_0_5B.Decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, byRange, default);
        Layouts.Qwen25_0_5B.Decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions.Length, byLength);

        Assert.Equal(byRange, byLength);
    }

    private static T Constant<T>(Type type, string name)
        => (T)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
