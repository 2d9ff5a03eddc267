using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;
using Xunit.Abstractions;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// Models whose matrices are in the legacy (Q4_0…Q5_1) and K-quant (Q2_K…Q6_K) types, and a Q4_K_M-style mix: the
/// decoder's logits against the oracle on the dequantized weights, greedy generation repeatable and equal across
/// kernels and thread counts.
/// </summary>
/// <remarks>
/// The oracle reads the quantized tensors through the synthetic models' reference dequantizer (written from ggml's
/// block layouts, checked bit for bit against llama.cpp's vectors), so both sides compute with the same weights and
/// only float arithmetic separates them: the bound is <see cref="LogitsMatchOracleTests.Bound"/>. The K-quants' rows
/// are 256-weight super-blocks, so their models are <see cref="Wide"/>: every matrix has 256 or 512 columns.
/// </remarks>
public sealed class QuantizedModelTests(ITestOutputHelper output)
{
    /// <summary>GQA with rows of 256 and 512 weights: 4 query heads share 2 K/V heads of 64 (embedding 256), MLP 512.</summary>
    public static SyntheticLlamaSpec Wide { get; } = new(
        EmbeddingLength: 256, Layers: 2, Heads: 4, KvGroups: 2, HeadDim: 64, FeedForwardLength: 512,
        WeightType: GgmlType.F32, TokenizerModel: "gpt2", VocabularySize: 384, Seed: 21);

    /// <summary>"Gqa.Q4_0" (the 64-column test models: 32-weight blocks), "Wide.Q4_K", "WideMha.Q6_K", "WideMqa.Q5_K",
    /// "WideQwen2.Q4_K", and "Wide.Q4_K_M" (llama.cpp's Q4_K_M mix: Q6_K head and some attn_v/ffn_down, Q4_K elsewhere).</summary>
    public static SyntheticLlamaSpec Named(string name)
    {
        string[] parts = name.Split('.');
        SyntheticLlamaSpec spec = parts[0] switch
        {
            "Gqa" => TestModels.Gqa,
            "Mha" => TestModels.Mha,
            "Mqa" => TestModels.Mqa,
            "Wide" => Wide,
            "WideMha" => Wide with { KvGroups = 4, Seed = 22 },
            "WideMqa" => Wide with { KvGroups = 1, Seed = 23, TokenizerModel = "llama", TiedOutput = true },
            "WideQwen2" => Wide with { Architecture = SyntheticLlamaSpec.Qwen2Architecture, Seed = 24, RopeFreqBase = 1000000f },
            _ => throw new ArgumentException($"No test model is called '{name}'.", nameof(name)),
        };
        return parts[1] == "Q4_K_M"
            ? spec with { WeightType = GgmlType.Q4_K, Mix = SyntheticWeightMix.Q4_K_M }
            : spec with { WeightType = Enum.Parse<GgmlType>(parts[1]) };
    }

    /// <summary>Every quantized type in GQA, MHA and MQA shapes (the legacy types on the 64-column test models, the
    /// K-quants on the wide ones), plus qwen2 in Q4_K and a Q4_K_M mix.</summary>
    public static TheoryData<string> Models()
    {
        var models = new TheoryData<string>();
        foreach (string type in new[] { "Q4_0", "Q4_1", "Q5_0", "Q5_1" })
            foreach (string shape in new[] { "Gqa", "Mha", "Mqa" })
                models.Add($"{shape}.{type}");
        foreach (string type in new[] { "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K" })
            foreach (string shape in new[] { "Wide", "WideMha", "WideMqa" })
                models.Add($"{shape}.{type}");
        models.Add("WideMqa.Q4_0");
        models.Add("WideQwen2.Q4_K");
        models.Add("Wide.Q4_K_M");
        return models;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_match_the_oracle_on_the_dequantized_weights(string model)
    {
        var spec = Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed);
        double[][] expected = TestModels.OracleLogits(spec, tokens);

        using var file = TestModels.Open(spec);
        Assert.Contains(file.Tensors, t => t.Type == spec.WeightType);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        using var session = llama.CreateSession(tokens.Length);
        // The first half token by token, the rest as one prefill: both paths of the weight kernels.
        int half = tokens.Length / 2;
        double worst = 0;
        for (int p = 0; p < half; p++)
            worst = Math.Max(worst, LogitsAssert.Close(session.Decode(tokens[p]), expected[p], LogitsMatchOracleTests.Bound, $"{model} position {p}"));
        ReadOnlySpan<float> last = session.Prefill(tokens.AsSpan(half));
        worst = Math.Max(worst, LogitsAssert.Close(last, expected[^1], LogitsMatchOracleTests.Bound, $"{model} after prefill"));
        output.WriteLine($"{model} ({llama.WeightType}, {llama.Attention.Description}): worst relative error {worst:E2}");
    }

    [Fact]
    public void A_Q4_K_M_file_mixes_Q4_K_and_Q6_K_and_keeps_the_norms_in_F32()
    {
        using var file = TestModels.Open(Named("Wide.Q4_K_M"));
        var types = file.Tensors.GroupBy(t => t.Type).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(types.ContainsKey(GgmlType.Q4_K) && types.ContainsKey(GgmlType.Q6_K), string.Join(", ", types));
        Assert.Equal(GgmlType.Q6_K, file.GetTensor("output.weight").Type);
        Assert.All(file.Tensors.Where(t => t.Name.EndsWith("_norm.weight", StringComparison.Ordinal)), t => Assert.Equal(GgmlType.F32, t.Type));
    }

    [Theory]
    [InlineData("Wide.Q4_K_M")]
    [InlineData("Gqa.Q4_0")]
    public void Greedy_generation_repeats_and_is_equal_across_kernels_and_thread_counts(string model)
    {
        var spec = Named(model);
        var options = new GenerationOptions { MaxTokens = 24, StopAtEndOfSequence = false };
        IReadOnlyList<int>? first = null;
        foreach (var (kernel, threads) in new[] { (GqaKernelChoice.Auto, 1), (GqaKernelChoice.Auto, 1), (GqaKernelChoice.Generic, 1), (GqaKernelChoice.Auto, 2), (GqaKernelChoice.Auto, 3) })
        {
            using var file = TestModels.Open(spec);
            using var llama = LlamaModel.Load(file, new LlamaModelOptions { Kernel = kernel, Threads = threads });
            var result = new TextGenerator(llama).Generate("The keeper wrote the time in the log", options);
            Assert.Equal(24, result.GeneratedTokens.Count);
            if (first is null)
                first = result.GeneratedTokens;
            else
                Assert.True(first.SequenceEqual(result.GeneratedTokens), $"{model}: {kernel} kernel on {threads} thread(s) generated other tokens");
        }
    }
}
