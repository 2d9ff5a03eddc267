using GqaGen.Gguf;

namespace GqaGen.Synthetic.Tests.Support;

/// <summary>The small model the fixture tests write: 4 query heads share 2 K/V heads of 16, 2 layers, GPT-2 tokenizer.</summary>
internal static class Specs
{
    public static SyntheticLlamaSpec Gqa { get; } = new(
        EmbeddingLength: 64, Layers: 2, Heads: 4, KvGroups: 2, HeadDim: 16, FeedForwardLength: 96,
        WeightType: GgmlType.F32, TokenizerModel: "gpt2", VocabularySize: 384, Seed: 11);

    /// <summary>Multi-query attention: all 4 query heads share one K/V head.</summary>
    public static SyntheticLlamaSpec Mqa { get; } = Gqa with { KvGroups = 1, Seed = 13, RmsNormEpsilon = 1e-2f };

    /// <summary>The SentencePiece tokenizer with a tied head (no output.weight) and a RoPE base other than 10000.</summary>
    public static SyntheticLlamaSpec LlamaTied { get; } = Gqa with
    {
        TokenizerModel = "llama", TiedOutput = true, Seed = 14, RopeFreqBase = 500000f, RmsNormEpsilon = 1e-6f,
    };

    /// <summary><see cref="Gqa"/> with its matrices in <paramref name="type"/> (same seed, so the same underlying weights).</summary>
    public static SyntheticLlamaSpec GqaAs(GgmlType type) => Gqa with { WeightType = type };

    /// <summary>A fresh parse of a new file for <paramref name="spec"/> (dispose it).</summary>
    public static GgufFile Open(SyntheticLlamaSpec spec) => GgufFile.Parse(SyntheticLlama.Create(spec));
}
