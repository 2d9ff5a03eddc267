namespace GqaGen.Bench;

/// <summary>Llama 3 8B: 32 query heads, 8 K/V heads, head_dim 4096 / 32 = 128 (meta-llama/Meta-Llama-3-8B config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]
public partial struct Llama3_8B;

/// <summary>TinyLlama 1.1B: 32 heads, 4 K/V heads of 64 (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json); the decoder benchmark's model shape.</summary>
[GqaLayout(Heads = 32, KvGroups = 4, HeadDim = 64)]
public partial struct TinyLlama_1_1B;

/// <summary>The samples' built-in tiny model (SyntheticLlamaSpec.BuiltIn): 8 heads, 2 K/V heads of 32.</summary>
[GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 32)]
public partial struct BuiltInTinyModel;
