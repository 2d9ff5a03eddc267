using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>The generated <c>Decode</c>, on whichever path this process selects, against the reference.</summary>
[Trait("Category", "Kernel")]
public sealed class GeneratedKernelTests
{
    [Theory]
    [MemberData(nameof(KernelCases.AllLayoutsAndLengths), MemberType = typeof(KernelCases))]
    public void Decode_matches_reference(string layoutName, int length, InputVariant variant)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        DecodeCaseRunner.Check(layout, length, variant, "generated Decode", layout.ActivePath, layout.AppendKv, layout.Decode);
    }
}
