namespace GqaGen.Synthetic;

#pragma warning disable CA1707 // Q4_K_M is llama.cpp's own name for the preset.

/// <summary>
/// How <see cref="SyntheticLlama"/> chooses each matrix's type: all <see cref="SyntheticLlamaSpec.WeightType"/>, or
/// per tensor as one of llama.cpp's quantization presets does (<see cref="SyntheticWeightMixes.MatrixType"/> has the
/// rule). Norm vectors are F32 either way.
/// </summary>
public enum SyntheticWeightMix
{
    /// <summary>Every matrix is <see cref="SyntheticLlamaSpec.WeightType"/> (the default; files are as before this
    /// option existed).</summary>
    Uniform = 0,

    /// <summary>
    /// llama.cpp's Q4_K_M (<c>llama-quantize … Q4_K_M</c> without an importance matrix): Q4_K matrices, except Q6_K for
    /// <c>output.weight</c> (or <c>token_embd.weight</c> when the head is tied) and for the <c>attn_v</c> and
    /// <c>ffn_down</c> of the layers where llama.cpp's <c>use_more_bits</c> holds; rows that are not whole super-blocks
    /// fall back as llama.cpp's do. Needs <see cref="SyntheticLlamaSpec.WeightType"/> = Q4_K.
    /// </summary>
    Q4_K_M = 1,
}
