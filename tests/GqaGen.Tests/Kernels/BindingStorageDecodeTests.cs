using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>The <see cref="GqaAttention"/> bindings a decoder holds (the registered generated kernel and the generic
/// binding, as <see cref="GqaKernelRegistry.Resolve"/> returns them) on part of the storage × window matrix: they
/// forward to the kernels the matrix checks, so this checks the forwarding, for every type and layout.</summary>
[Trait("Category", "Kernel")]
public sealed class BindingStorageDecodeTests
{
    [Theory]
    [MemberData(nameof(StorageCases.Bindings), MemberType = typeof(StorageCases))]
    public void Decode_matches_reference(string binding, KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(binding, type, window, layoutName, start, count, InputVariant.Uniform);
}
