namespace GqaGen.Tests.Runtime;

/// <summary>GqaKernelRegistry: registering is all or nothing, and an unknown choice is named.</summary>
public sealed class KernelRegistryTests
{
    [Fact]
    public void Register_rejects_a_null_kernel_naming_its_index_without_registering_the_others()
    {
        var shape = new GqaShape(12, 3, 24); // a layout nothing in this assembly declares
        var e = Assert.Throws<ArgumentException>(() => GqaKernelRegistry.Register([GqaAttention.Generic(shape), null!]));
        Assert.Equal("kernels", e.ParamName);
        Assert.Contains("Kernel 1 of the 2 to register is null.", e.Message, StringComparison.Ordinal);
        Assert.False(GqaKernelRegistry.TryGet(shape, out _));
    }

    [Fact]
    public void Resolve_rejects_an_unknown_kernel_choice_naming_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GqaKernelRegistry.Resolve(new GqaShape(12, 3, 24), (GqaKernelChoice)7, out _));
        Assert.Equal("choice", e.ParamName);
        Assert.Equal((GqaKernelChoice)7, e.ActualValue);
        Assert.Contains("expected one of Auto, Generated, Generic", e.Message, StringComparison.Ordinal);
    }
}
