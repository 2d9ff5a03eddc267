namespace GqaGen.Samples;

// Layouts of real models, each taken from the model's published config.json
// (num_attention_heads, num_key_value_heads, head_dim or hidden_size / num_attention_heads).

/// <summary>Llama 3 8B: 32 heads, 8 K/V heads, 4096 / 32 = 128 (meta-llama/Meta-Llama-3-8B config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]
public partial struct Llama3_8B;

/// <summary>Llama 3.2 1B: 32 heads, 8 K/V heads, head_dim 64 (meta-llama/Llama-3.2-1B config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]
public partial struct Llama32_1B;

/// <summary>TinyLlama 1.1B: 32 heads, 4 K/V heads, 2048 / 32 = 64 (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 4, HeadDim = 64)]
public partial struct TinyLlama_1_1B;

/// <summary>Qwen2.5 0.5B: 14 heads, 2 K/V heads, 896 / 14 = 64 (Qwen/Qwen2.5-0.5B config.json).</summary>
[GqaLayout(Heads = 14, KvGroups = 2, HeadDim = 64)]
public partial struct Qwen25_0_5B;

/// <summary>SmolLM2 135M: 9 heads, 3 K/V heads, 576 / 9 = 64 (HuggingFaceTB/SmolLM2-135M config.json).</summary>
[GqaLayout(Heads = 9, KvGroups = 3, HeadDim = 64)]
public partial struct SmolLM2_135M;

/// <summary>GPT-2 (124M), multi-head attention: 12 heads, 768 / 12 = 64 (openai-community/gpt2 config.json: n_head 12, n_embd 768).</summary>
[GqaLayout(Heads = 12, KvGroups = 12, HeadDim = 64)]
public partial struct Gpt2;

/// <summary>Falcon 7B, multi-query attention: 71 heads sharing 1 K/V head, 4544 / 71 = 64 (tiiuae/falcon-7b config.json: multi_query true).</summary>
[GqaLayout(Heads = 71, KvGroups = 1, HeadDim = 64)]
public partial struct Falcon7B;

/// <summary>The built-in tiny model of <c>generate</c> (GqaGen.Llama.SyntheticLlamaSpec.BuiltIn): 8 heads, 2 K/V heads of 32.</summary>
[GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 32)]
public partial struct BuiltInTinyModel;
