using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Each per-path method the generator emitted, called directly, so every path is checked whatever the hardware:
/// Vector512 and Vector256 code runs in software where the instructions are missing or disabled.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class PathMethodTests
{
    [Theory]
    [MemberData(nameof(KernelCases.EmittedPaths), MemberType = typeof(KernelCases))]
    public void Path_matches_reference(string layoutName, GqaKernelPath path, int length, InputVariant variant)
        => DecodeCaseRunner.CheckPath(LayoutCatalog.Get(layoutName), path, length, variant);

    /// <summary>The generator emits a vector path only when one head fills at least one vector (16 or 8 floats).</summary>
    [Theory]
    [MemberData(nameof(KernelCases.LayoutNames), MemberType = typeof(KernelCases))]
    public void Vector_paths_are_emitted_exactly_when_a_head_fills_a_vector(string layoutName)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        Assert.Equal(layout.Shape.HeadDim >= 16, HasMethod(layout.Type, "DecodeAvx512"));
        Assert.Equal(layout.Shape.HeadDim >= 8, HasMethod(layout.Type, "DecodeAvx2"));
        Assert.True(HasMethod(layout.Type, "DecodeScalar"));
    }

    private static bool HasMethod(Type type, string name)
        => type.GetMethod(name, System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public) is not null;
}
