using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary><see cref="GenericGqaKernel"/> with each generated layout's shape, against the reference.</summary>
[Trait("Category", "Kernel")]
public sealed class GenericKernelTests
{
    [Theory]
    [MemberData(nameof(KernelCases.AllLayoutsAndLengths), MemberType = typeof(KernelCases))]
    public void Decode_matches_reference(string layoutName, int length, InputVariant variant)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        DecodeCaseRunner.Check(layout, length, variant, nameof(GenericGqaKernel), GenericGqaKernel.PathFor(layout.Shape),
            layout.GenericAppendKv, layout.GenericDecode);
    }
}
