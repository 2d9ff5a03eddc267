namespace GqaGen.Bench;

/// <summary>Llama 3 8B: 32 query heads, 8 K/V heads, head_dim 4096 / 32 = 128 (meta-llama/Meta-Llama-3-8B config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]
public partial struct Llama3_8B;
