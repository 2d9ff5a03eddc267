using GqaGen;

namespace PackageConsumer;

/// <summary>A layout no sample uses: 8 heads in 2 groups, HeadDim 40 (not a whole number of 512- or 256-bit vectors).</summary>
[GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 40)]
public partial struct MyLayout;
