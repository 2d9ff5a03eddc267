using System.Security.Cryptography;
using GqaGen.Gguf;
using Xunit.Abstractions;

namespace GqaGen.Synthetic.Tests;

/// <summary>
/// Files of the default <c>llama</c> architecture stay byte-identical as options are added to
/// <see cref="SyntheticLlamaSpec"/> (the <c>qwen2</c> architecture here): benchmarks and saved models depend on the same
/// spec giving the same bytes. The hashes were computed with the writer as it was before the architecture option
/// (commit 5b174e2) and checked unchanged after it.
/// </summary>
public sealed class LlamaFileStabilityTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases() => new()
    {
        { "BuiltIn", "c5fc1d9c9927462f42aedea168f5cd002427215115f08432cd0cdae4f0f9225b" },
        { "BuiltIn.ChatML", "637e51ae8faad5d70fd8c6c496cb2790df873f9d482025be31c63a8d850c06ef" },
        { "SentencePiece.Q8_0.Tied", "5ae9d4360d369dac0f115fb72c1b78056b4a990165d394986ca2b8d558a0d7ab" },
        { "Gpt2.F16.Mqa", "9c5f7c7b28151eaa0223eb897c5b5dfd518cfbe4c617ae45a3a76de1d0fe9918" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Llama_files_keep_their_bytes(string name, string expectedSha256)
    {
        byte[] bytes = SyntheticLlama.Create(Spec(name));
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        output.WriteLine($"{name}: {actual} ({bytes.Length} bytes)");
        Assert.Equal(expectedSha256, actual);
    }

    private static SyntheticLlamaSpec Spec(string name) => name switch
    {
        "BuiltIn" => SyntheticLlamaSpec.BuiltIn,
        "BuiltIn.ChatML" => SyntheticLlamaSpec.BuiltIn with { ChatTemplate = SyntheticChatTemplates.ChatML },
        "SentencePiece.Q8_0.Tied" => new SyntheticLlamaSpec(
            EmbeddingLength: 64, Layers: 2, Heads: 4, KvGroups: 2, HeadDim: 16, FeedForwardLength: 96,
            WeightType: GgmlType.Q8_0, TokenizerModel: "llama", VocabularySize: 384, Seed: 5, TiedOutput: true,
            RopeFreqBase: 500000f, RmsNormEpsilon: 1e-6f),
        "Gpt2.F16.Mqa" => new SyntheticLlamaSpec(
            EmbeddingLength: 64, Layers: 3, Heads: 4, KvGroups: 1, HeadDim: 16, FeedForwardLength: 128,
            WeightType: GgmlType.F16, TokenizerModel: "gpt2", VocabularySize: 300, Seed: 6),
        _ => throw new ArgumentException($"No spec is called '{name}'.", nameof(name)),
    };
}
