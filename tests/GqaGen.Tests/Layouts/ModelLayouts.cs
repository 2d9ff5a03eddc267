namespace GqaGen.Tests.Layouts;

// The layouts of src/Samples, declared again here because the generator only emits into the assembly that
// declares a layout, and the tests need that output in their own assembly to reach its internal path methods.

/// <summary>Llama 3 8B: the layout the ISA-path test pins (HeadDim 128, a whole number of vectors on every path).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]
public partial struct Llama3_8B;

/// <summary>Llama 3.2 1B.</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]
public partial struct Llama32_1B;

/// <summary>TinyLlama 1.1B: eight heads per group.</summary>
[GqaLayout(Heads = 32, KvGroups = 4, HeadDim = 64)]
public partial struct TinyLlama_1_1B;

/// <summary>Qwen2.5 0.5B: seven heads per group (odd, not a power of two).</summary>
[GqaLayout(Heads = 14, KvGroups = 2, HeadDim = 64)]
public partial struct Qwen25_0_5B;

/// <summary>SmolLM2 135M: three heads per group.</summary>
[GqaLayout(Heads = 9, KvGroups = 3, HeadDim = 64)]
public partial struct SmolLM2_135M;

/// <summary>GPT-2: multi-head attention (one head per group).</summary>
[GqaLayout(Heads = 12, KvGroups = 12, HeadDim = 64)]
public partial struct Gpt2;

/// <summary>Falcon 7B: multi-query attention, 71 heads sharing one K/V head.</summary>
[GqaLayout(Heads = 71, KvGroups = 1, HeadDim = 64)]
public partial struct Falcon7B;
