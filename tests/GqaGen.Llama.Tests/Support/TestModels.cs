using System.Collections.Concurrent;
using GqaGen.Llama.Tests.Reference;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Support;

/// <summary>
/// The synthetic models the decoder tests run, each created once per test run (they are a few hundred kilobytes) and
/// shared, with the oracle's logits cached per model and token sequence.
/// </summary>
public static class TestModels
{
    /// <summary>Tokens in the sequences the logits tests run: past one 32-position kernel tile, and not a multiple of it.</summary>
    public const int SequenceLength = 44;

    /// <summary>384 tokens: room for either synthetic tokenizer's byte tokens plus merges or pieces.</summary>
    private const int Vocabulary = 384;

    /// <summary>Grouped-query attention: 4 query heads share 2 K/V heads of 16 (embedding 64), 2 layers, GPT-2 tokenizer.</summary>
    public static SyntheticLlamaSpec Gqa { get; } = new(
        EmbeddingLength: 64, Layers: 2, Heads: 4, KvGroups: 2, HeadDim: 16, FeedForwardLength: 96,
        WeightType: GgmlType.F32, TokenizerModel: "gpt2", VocabularySize: Vocabulary, Seed: 11);

    /// <summary>Multi-head attention: one K/V head per query head.</summary>
    public static SyntheticLlamaSpec Mha { get; } = Gqa with { KvGroups = 4, Seed = 12 };

    /// <summary>Multi-query attention: all 4 query heads share one K/V head. Its RMS-norm epsilon, 1e-2, is large
    /// enough to move every logit, so a decoder that ignored the file's value would fail.</summary>
    public static SyntheticLlamaSpec Mqa { get; } = Gqa with { KvGroups = 1, Seed = 13, RmsNormEpsilon = 1e-2f };

    /// <summary>The SentencePiece tokenizer with a tied head (no output.weight) and a RoPE base other than 10000.</summary>
    public static SyntheticLlamaSpec LlamaTied { get; } = Gqa with
    {
        TokenizerModel = "llama", TiedOutput = true, Seed = 14, RopeFreqBase = 500000f, RmsNormEpsilon = 1e-6f,
    };

    /// <summary>A layout no type in this assembly declares, so only the generic kernel can run it; and its heads
    /// are not a split of the embedding (H·d = 96, embedding 80), so the head size must come from
    /// <c>llama.attention.key_length</c> rather than embedding / heads.</summary>
    public static SyntheticLlamaSpec Unannotated { get; } = new(
        EmbeddingLength: 80, Layers: 2, Heads: 6, KvGroups: 2, HeadDim: 16, FeedForwardLength: 128,
        WeightType: GgmlType.F32, TokenizerModel: "gpt2", VocabularySize: Vocabulary, Seed: 15);

    /// <summary><see cref="Gqa"/> with its matrices in <paramref name="type"/> (same seed, so the same underlying weights).</summary>
    public static SyntheticLlamaSpec GqaAs(GgmlType type) => Gqa with { WeightType = type };

    /// <summary>The model called <paramref name="name"/> here ("Gqa", "Mha", "Mqa", "LlamaTied", "Unannotated", or
    /// "Gqa.F16" for <see cref="GqaAs"/>), so that theory cases have readable, serializable names.</summary>
    public static SyntheticLlamaSpec Named(string name) => name switch
    {
        nameof(Gqa) => Gqa,
        nameof(Mha) => Mha,
        nameof(Mqa) => Mqa,
        nameof(LlamaTied) => LlamaTied,
        nameof(Unannotated) => Unannotated,
        _ when name.StartsWith("Gqa.", StringComparison.Ordinal) => GqaAs(Enum.Parse<GgmlType>(name["Gqa.".Length..])),
        _ => throw new ArgumentException($"No test model is called '{name}'.", nameof(name)),
    };

    private static readonly ConcurrentDictionary<SyntheticLlamaSpec, Lazy<byte[]>> Files = new();
    private static readonly ConcurrentDictionary<(SyntheticLlamaSpec, string), Lazy<double[][]>> OracleRuns = new();

    /// <summary>The GGUF bytes of <paramref name="spec"/>, created once.</summary>
    public static byte[] Bytes(SyntheticLlamaSpec spec) =>
        Files.GetOrAdd(spec, s => new Lazy<byte[]>(() => SyntheticLlama.Create(s))).Value;

    /// <summary>A fresh parse of <paramref name="spec"/>'s bytes (dispose it; the bytes stay cached).</summary>
    public static GgufFile Open(SyntheticLlamaSpec spec) => GgufFile.Parse(Bytes(spec));

    /// <summary>The oracle's logits for <paramref name="tokens"/> from position 0, computed once per model and sequence.</summary>
    public static double[][] OracleLogits(SyntheticLlamaSpec spec, IReadOnlyList<int> tokens) =>
        OracleRuns.GetOrAdd((spec, string.Join(',', tokens)), _ => new Lazy<double[][]>(() =>
        {
            using var file = Open(spec);
            return NaiveLlama.Logits(file, tokens);
        })).Value;

    /// <summary><paramref name="count"/> seeded random token ids below <paramref name="vocabularySize"/>.</summary>
    public static int[] RandomTokens(int count, int vocabularySize, int seed)
    {
        var random = new Random(seed);
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
            tokens[i] = random.Next(vocabularySize);
        return tokens;
    }

    /// <summary>A temporary GGUF file of <paramref name="bytes"/>, deleted on dispose (for the path-based load).</summary>
    public static TemporaryFile WriteTemporary(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"gqagen-decoder-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        return new TemporaryFile(path);
    }
}
