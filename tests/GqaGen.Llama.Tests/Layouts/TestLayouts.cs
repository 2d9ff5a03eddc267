namespace GqaGen.Llama.Tests.Layouts;

// The layouts of the test models (Support/TestModels.cs) that get generated kernels. TestModels.Unannotated's layout
// (H=6, G=2, d=16) is deliberately absent, so that model runs the generic kernel with a warning.

/// <summary>TestModels.Gqa and its F16/BF16/Q8_0 and tied variants: 4 query heads share 2 K/V heads.</summary>
[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)]
public partial struct GqaTestLayout;

/// <summary>TestModels.Mha: one K/V head per query head.</summary>
[GqaLayout(Heads = 4, KvGroups = 4, HeadDim = 16)]
public partial struct MhaTestLayout;

/// <summary>TestModels.Mqa: one K/V head for all 4 query heads.</summary>
[GqaLayout(Heads = 4, KvGroups = 1, HeadDim = 16)]
public partial struct MqaTestLayout;
