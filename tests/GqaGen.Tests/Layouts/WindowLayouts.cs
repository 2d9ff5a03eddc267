namespace GqaGen.Tests.Layouts;

// Layouts generated for a sliding window. Their kernels accept only caches of their own window, so they are kept out of
// LayoutCatalog.All (whose tests use plain caches) and run the storage × window matrix at their window only.

/// <summary>W = 16 (one Avx512 tile), d = 64, four heads per group.</summary>
[GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 64, SlidingWindow = 16)]
public partial struct Window16Heads8Groups2Dim64;

/// <summary>W = 33 (one past a d = 128 block), d = 40: the last Vector512 straddles q8_0 blocks 0 and 1; three heads per group.</summary>
[GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 40, SlidingWindow = 33)]
public partial struct Window33Heads6Groups2Dim40;
