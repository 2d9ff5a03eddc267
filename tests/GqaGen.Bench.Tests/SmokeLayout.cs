namespace GqaGen.Bench.Tests;

/// <summary>The smoke tests' tiny layout: 4 query heads sharing 2 K/V heads of 16 (one Vector512 of floats per row).</summary>
[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)]
public partial struct SmokeLayout;
