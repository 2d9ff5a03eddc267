using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// Synthetic models of llama.cpp's <c>qwen2</c> architecture (Q/K/V biases, NeoX RoPE, Qwen2's pre-tokenizer), in the
/// same shapes as <see cref="Support.TestModels"/>' llama ones, so that the same oracle and sequence lengths apply.
/// </summary>
public static class Qwen2Models
{
    /// <summary>Grouped-query attention, 4 query heads over 2 K/V heads of 16, tied output (as Qwen2.5-0.5B ties it).</summary>
    public static SyntheticLlamaSpec Gqa { get; } = Support.TestModels.Gqa with
    {
        Architecture = SyntheticLlamaSpec.Qwen2Architecture, Seed = 31, TiedOutput = true, RopeFreqBase = 1000000f, RmsNormEpsilon = 1e-6f,
    };

    /// <summary>Multi-head attention with an untied <c>output.weight</c>.</summary>
    public static SyntheticLlamaSpec Mha { get; } = Gqa with { KvGroups = 4, Seed = 32, TiedOutput = false };

    /// <summary>Multi-query attention: one K/V head for all 4 query heads, untied.</summary>
    public static SyntheticLlamaSpec Mqa { get; } = Gqa with { KvGroups = 1, Seed = 33, TiedOutput = false };

    /// <summary>The model called <paramref name="name"/>: "Gqa", "Mha", "Mqa", or "Gqa.F16" / "Gqa.Q8_0" for
    /// <see cref="Gqa"/> in another weight type.</summary>
    public static SyntheticLlamaSpec Named(string name) => name switch
    {
        nameof(Gqa) => Gqa,
        nameof(Mha) => Mha,
        nameof(Mqa) => Mqa,
        _ when name.StartsWith("Gqa.", StringComparison.Ordinal) => Gqa with { WeightType = Enum.Parse<GgmlType>(name["Gqa.".Length..]) },
        _ when name.StartsWith("Mqa.", StringComparison.Ordinal) => Mqa with { WeightType = Enum.Parse<GgmlType>(name["Mqa.".Length..]) },
        _ => throw new ArgumentException($"No qwen2 test model is called '{name}'.", nameof(name)),
    };
}
