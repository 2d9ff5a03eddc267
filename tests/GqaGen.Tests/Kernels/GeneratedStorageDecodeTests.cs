using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Issue 12's correctness bar for the generated kernels: every storage type × window off and on × layout × boundary
/// range (<see cref="StorageCases"/>), on whichever ISA path this process selects (CI reruns the Kernel category
/// under each). Each result is within 1e-5 (normwise per head, and log-sum-exp) of the reference on the same cache,
/// which reads the rounded or dequantized K/V, and, with a window, of the reference on a windowless cache holding the
/// same rows over the range the window's definition gives (<see cref="StorageDecodeRunner"/>).
/// </summary>
[Trait("Category", "Kernel")]
public sealed class GeneratedStorageDecodeTests
{
    [Theory]
    [MemberData(nameof(StorageCases.Matrix), MemberType = typeof(StorageCases))]
    public void Decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(EntryPoints.Generated, type, window, layoutName, start, count, InputVariant.Uniform);

    [Theory]
    [MemberData(nameof(StorageCases.LargeLogits), MemberType = typeof(StorageCases))]
    public void Large_logit_decode_matches_reference(KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(EntryPoints.Generated, type, window, layoutName, start, count, InputVariant.LargeLogits);
}
