using System.Security.Cryptography;
using System.Text.Json;
using System.Runtime.InteropServices;
using GqaGen.Gguf;
using GqaGen.Synthetic.Quantizers;

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
    [InlineData(GgmlType.Q4_0, 16, 2u)]  // LLAMA_FTYPE_MOSTLY_Q4_0
    [InlineData(GgmlType.Q4_1, 16, 3u)]  // LLAMA_FTYPE_MOSTLY_Q4_1
    [InlineData(GgmlType.Q5_0, 32, 8u)]  // LLAMA_FTYPE_MOSTLY_Q5_0
    [InlineData(GgmlType.Q5_1, 32, 9u)]  // LLAMA_FTYPE_MOSTLY_Q5_1
    [InlineData(GgmlType.Q2_K, 4, 10u)]  // LLAMA_FTYPE_MOSTLY_Q2_K
    [InlineData(GgmlType.Q3_K, 8, 11u)]  // LLAMA_FTYPE_MOSTLY_Q3_K_S
    [InlineData(GgmlType.Q4_K, 16, 14u)] // LLAMA_FTYPE_MOSTLY_Q4_K_S
    [InlineData(GgmlType.Q5_K, 32, 16u)] // LLAMA_FTYPE_MOSTLY_Q5_K_S
    [InlineData(GgmlType.Q6_K, 64, 18u)] // LLAMA_FTYPE_MOSTLY_Q6_K
    public void Uniform_quantized_model_holds_the_F32_model_weights_within_the_type_precision(GgmlType type, int levels, uint fileType)
    {
        // The same spec in F32 has the same underlying weights (they depend on the seed and tensor name only).
        var spec = new SyntheticLlamaSpec(256, 2, 4, 2, 64, 256, type, "gpt2", 300, Random.Shared.Next());
        using var file = GgufFile.Parse(SyntheticLlama.Create(spec));
        using var f32 = GgufFile.Parse(SyntheticLlama.Create(spec with { WeightType = GgmlType.F32 }));
        Assert.Equal(fileType, file.GetUInt32("general.file_type"));
        foreach (var tensor in file.Tensors)
        {
            var exact = MemoryMarshal.Cast<byte, float>(f32.TensorData(f32.GetTensor(tensor.Name)));
            if (tensor.Dimensions.Length == 1)
            {
                Assert.Equal(GgmlType.F32, tensor.Type);
                continue;
            }
            Assert.Equal(type, tensor.Type);
            var decoded = new float[tensor.ElementCount];
            GgmlQuantization.Dequantize(type, file.TensorData(tensor), decoded);
            // Uniform weights in [−a, a] quantized uniformly with L levels over that range have a relative RMS error
            // of 1/(L − 1); block-wise ranges do better, scale rounding worse: allow 1.5 times.
            double error = 0, energy = 0;
            for (int i = 0; i < decoded.Length; i++)
            {
                error += (decoded[i] - exact[i]) * (double)(decoded[i] - exact[i]);
                energy += exact[i] * (double)exact[i];
            }
            double relative = Math.Sqrt(error / energy);
            Assert.True(relative <= 1.5 / (levels - 1), $"{type} {tensor.Name}: relative RMS error {relative}");
        }
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
