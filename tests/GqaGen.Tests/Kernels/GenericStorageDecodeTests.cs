using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>The storage × window matrix of <see cref="GeneratedStorageDecodeTests"/> for <see cref="GenericGqaKernel"/>
/// with each layout's shape.</summary>
[Trait("Category", "Kernel")]
public sealed class GenericStorageDecodeTests
{
    [Theory]
    [MemberData(nameof(StorageCases.Matrix), MemberType = typeof(StorageCases))]
    public void Decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(EntryPoints.Generic, type, window, layoutName, start, count, InputVariant.Uniform);

    [Theory]
    [MemberData(nameof(StorageCases.LargeLogits), MemberType = typeof(StorageCases))]
    public void Large_logit_decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(EntryPoints.Generic, type, window, layoutName, start, count, InputVariant.LargeLogits);
}
