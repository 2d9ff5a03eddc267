namespace GqaGen.Llama;

/// <summary>Which elements of a head RoPE rotates together, as llama.cpp's <c>llama_rope_type</c> assigns per
/// architecture.</summary>
public enum RopeStyle
{
    /// <summary>llama.cpp's "normal" rope (<c>LLAMA_ROPE_TYPE_NORM</c>, the <c>llama</c> architecture): adjacent
    /// elements (2i, 2i+1) form pair i. The GGUF converter permutes Llama's Q and K rows so that this is right.</summary>
    Interleaved,

    /// <summary>GPT-NeoX's rotate-half (<c>LLAMA_ROPE_TYPE_NEOX</c>, the <c>qwen2</c> architecture): element i pairs
    /// with element i + ropeDims/2, the layout of Hugging Face checkpoints, which the converter leaves unpermuted.</summary>
    NeoX,
}
