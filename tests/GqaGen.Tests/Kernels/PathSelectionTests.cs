using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// The path the generated <c>ActivePath</c> and <see cref="GenericGqaKernel.PathFor"/> select under the runtime's
/// instruction-set switches. CI runs the suite plainly and with DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0 and
/// DOTNET_EnableHWIntrinsic=0, so each expectation is met in some run.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class PathSelectionTests(ITestOutputHelper output)
{
    [Fact]
    public void Llama3_8B_takes_the_widest_enabled_path()
    {
        // HeadDim 128 fills a vector of either width, so only the switches and the CPU decide.
        GqaKernelPath expected = IsaEnvironment.ExpectVector512 ? GqaKernelPath.Avx512
            : IsaEnvironment.ExpectVector256 ? GqaKernelPath.Avx2
            : GqaKernelPath.Scalar;
        Report(nameof(Llama3_8B), Llama3_8B.ActivePath, expected);
        Assert.Equal(expected, Llama3_8B.ActivePath);
        Assert.Equal(expected, GenericGqaKernel.PathFor(Llama3_8B.Shape));
    }

    [Fact]
    public void HeadDim_8_never_takes_Avx512()
    {
        GqaKernelPath expected = IsaEnvironment.ExpectVector256 ? GqaKernelPath.Avx2 : GqaKernelPath.Scalar;
        Report(nameof(Heads3Groups1Dim8), Heads3Groups1Dim8.ActivePath, expected);
        Assert.Equal(expected, Heads3Groups1Dim8.ActivePath);
        Assert.Equal(expected, GenericGqaKernel.PathFor(Heads3Groups1Dim8.Shape));
    }

    [Fact]
    public void HeadDim_1_is_always_scalar()
    {
        Report(nameof(Heads1Groups1Dim1), Heads1Groups1Dim1.ActivePath, GqaKernelPath.Scalar);
        Assert.Equal(GqaKernelPath.Scalar, Heads1Groups1Dim1.ActivePath);
        Assert.Equal(GqaKernelPath.Scalar, GenericGqaKernel.PathFor(Heads1Groups1Dim1.Shape));
    }

    [Theory]
    [MemberData(nameof(KernelCases.LayoutNames), MemberType = typeof(KernelCases))]
    public void Every_layout_and_the_generic_kernel_agree_on_the_path(string layoutName)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaKernelPath expected = IsaEnvironment.ExpectedPath(layout.Shape.HeadDim);
        Report(layout.Name, layout.ActivePath, expected);
        Assert.Equal(expected, layout.ActivePath);
        Assert.Equal(expected, GenericGqaKernel.PathFor(layout.Shape));
    }

    private void Report(string layout, GqaKernelPath observed, GqaKernelPath expected)
        => output.WriteLine($"{layout}: ActivePath {observed} (expected {expected}) under {IsaEnvironment.Describe()}");
}
