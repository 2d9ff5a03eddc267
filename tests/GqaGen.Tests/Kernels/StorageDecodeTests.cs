using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Issue 12's correctness bar: every storage type × window off and on × layout × boundary range, on whichever ISA
/// path this process selects (CI reruns the Kernel category under each), for the generated kernel, the generic
/// kernel and the <see cref="GqaAttention"/> bindings. Each result is within 1e-5 (normwise per head, and
/// log-sum-exp) of the reference on the same cache, which reads the rounded or dequantized K/V, and, with a window,
/// of the reference on a windowless cache holding the same rows over the range the window's definition gives.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class StorageDecodeTests
{
    [Theory]
    [MemberData(nameof(StorageCases.Matrix), MemberType = typeof(StorageCases))]
    public void Generated_decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => Run(EntryPoints.Generated, type, window, layoutName, start, count, InputVariant.Uniform);

    [Theory]
    [MemberData(nameof(StorageCases.Matrix), MemberType = typeof(StorageCases))]
    public void Generic_decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => Run(EntryPoints.Generic, type, window, layoutName, start, count, InputVariant.Uniform);

    [Theory]
    [MemberData(nameof(StorageCases.Bindings), MemberType = typeof(StorageCases))]
    public void Binding_decode_matches_reference(string binding, KvElementType type, int window, string layoutName, int start, int count)
        => Run(binding, type, window, layoutName, start, count, InputVariant.Uniform);

    [Theory]
    [MemberData(nameof(StorageCases.LargeLogits), MemberType = typeof(StorageCases))]
    public void Large_logit_decode_matches_reference(string kernel, KvElementType type, int window, string layoutName, int start, int count)
        => Run(kernel, type, window, layoutName, start, count, InputVariant.LargeLogits);

    private static void Run(string kernel, KvElementType type, int window, string layoutName, int start, int count, InputVariant variant)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        StorageDecodeRunner.Check(layout, new StorageCase(type, window, start, count), variant, kernel, EntryPoints.PathOf(kernel, layout),
            EntryPoints.Appender(kernel, layout), EntryPoints.Decoder(kernel, layout));
    }
}
