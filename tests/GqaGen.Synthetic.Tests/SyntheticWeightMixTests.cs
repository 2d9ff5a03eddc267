using System.Security.Cryptography;
using System.Text.Json;
using GqaGen.Gguf;

namespace GqaGen.Synthetic.Tests;

/// <summary>
/// <see cref="SyntheticLlamaSpec.Mix"/> = Q4_K_M against what llama.cpp's <c>llama-quantize … Q4_K_M</c> made of the
/// same models in F32 (Data/quant-vectors/Q4_K_M-models.json): every tensor's type and the SHA-256 of its bytes.
/// </summary>
public sealed class SyntheticWeightMixTests
{
    public static TheoryData<string> Models { get; } = new("deep", "narrow", "tied");

    [Theory]
    [MemberData(nameof(Models))]
    public void Q4_K_M_model_has_llama_quantize_types_and_bytes(string model)
    {
        var (spec, expected) = Load(model);
        using var file = GgufFile.Parse(SyntheticLlama.Create(spec));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var tensor in file.Tensors)
        {
            var (type, sha256) = expected[tensor.Name];
            Assert.True(type == tensor.Type.ToString(), $"{model}: {tensor.Name} is {tensor.Type}; llama-quantize chose {type}.");
            string actual = Convert.ToHexStringLower(SHA256.HashData(file.TensorData(tensor)));
            Assert.True(sha256 == actual, $"{model}: {tensor.Name} ({tensor.Type}) bytes differ from llama-quantize's.");
        }
        Assert.Equal(15u, file.GetUInt32("general.file_type")); // LLAMA_FTYPE_MOSTLY_Q4_K_M
        Assert.Contains("Q4_K_M", file.GetString("general.name"), StringComparison.Ordinal);
    }

    [Fact]
    public void Q4_K_M_gives_half_the_layers_more_bits_in_a_32_layer_model()
    {
        // llama.cpp's rule as its comments describe it: the first and last eighth, and every third layer between.
        var more = Enumerable.Range(0, 32).Where(i => SyntheticWeightMixes.UseMoreBits(i, 32)).ToArray();
        Assert.Equal(16, more.Length);
        Assert.Subset(more.ToHashSet(), new HashSet<int> { 0, 1, 2, 3, 28, 29, 30, 31 });
        Assert.Equal([6, 9, 12, 15, 18, 21, 24, 27], more.Where(i => i is >= 4 and < 28));
    }

    [Fact]
    public void Matrix_type_is_the_weight_type_without_a_mix()
    {
        var spec = new SyntheticLlamaSpec(256, 8, 8, 2, 32, 512, GgmlType.Q5_K, "gpt2", 512, 1);
        Assert.Equal(GgmlType.Q5_K, SyntheticWeightMixes.MatrixType(spec, "output.weight", 256));
        Assert.Equal(GgmlType.Q5_K, SyntheticWeightMixes.MatrixType(spec, "blk.0.attn_v.weight", 256));
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_1)]
    [InlineData(GgmlType.Q3_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Uniform_quantized_model_has_every_matrix_in_the_weight_type(GgmlType type)
    {
        var spec = new SyntheticLlamaSpec(256, 2, 4, 2, 64, 256, type, "gpt2", 300, 5);
        using var file = GgufFile.Parse(SyntheticLlama.Create(spec));
        foreach (var tensor in file.Tensors)
            Assert.Equal(tensor.Dimensions.Length == 1 ? GgmlType.F32 : type, tensor.Type);
    }

    private static (SyntheticLlamaSpec Spec, Dictionary<string, (string Type, string Sha256)> Tensors) Load(string model)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "quant-vectors", "Q4_K_M-models.json");
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var entry = json.RootElement.GetProperty("models").GetProperty(model);
        var s = entry.GetProperty("spec");
        int Int(string name) => s.GetProperty(name).GetInt32();
        var spec = new SyntheticLlamaSpec(
            Int("EmbeddingLength"), Int("Layers"), Int("Heads"), Int("KvGroups"), Int("HeadDim"), Int("FeedForwardLength"),
            GgmlType.Q4_K, s.GetProperty("TokenizerModel").GetString()!, Int("VocabularySize"), Int("Seed"),
            TiedOutput: s.GetProperty("TiedOutput").GetBoolean())
        {
            Mix = SyntheticWeightMix.Q4_K_M,
        };
        var tensors = entry.GetProperty("tensors").EnumerateObject().ToDictionary(
            p => p.Name, p => (p.Value.GetProperty("type").GetString()!, p.Value.GetProperty("sha256").GetString()!));
        return (spec, tensors);
    }
}
