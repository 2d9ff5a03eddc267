using GqaGen.Llama.Tests.Support;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Text generation on the synthetic models: greedy decoding follows the oracle's argmax and repeats;
/// seeded sampling repeats with its seed and changes with another.</summary>
public sealed class GenerationTests
{
    private const string Prompt = "The quick brown fox jumps over the lazy dog";

    private static GenerationOptions Options(SamplingOptions sampling, int maxTokens = 24) => new()
    {
        MaxTokens = maxTokens,
        Sampling = sampling,
        // Random weights may well produce the end token early; the tests want a fixed number of tokens.
        StopAtEndOfSequence = false,
    };

    private static readonly SamplingOptions Sampled = new() { Temperature = 0.9f, TopK = 50, TopP = 0.95f, Seed = 7 };

    [Theory]
    [InlineData("Gqa")]
    [InlineData("LlamaTied")]
    public void Greedy_generation_repeats_exactly(string model)
    {
        using var file = TestModels.Open(TestModels.Named(model));
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        var first = generator.Generate(Prompt, Options(SamplingOptions.Greedy));
        var second = generator.Generate(Prompt, Options(SamplingOptions.Greedy));
        Assert.Equal(24, first.GeneratedTokens.Count);
        Assert.Equal(StopReason.MaxTokens, first.StopReason);
        Assert.Equal(first.GeneratedTokens, second.GeneratedTokens);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.PromptTokens, second.PromptTokens);
    }

    [Theory]
    [InlineData("Gqa")]
    [InlineData("Mqa")]
    [InlineData("LlamaTied")]
    public void Greedy_tokens_are_the_oracles_argmax(string model)
    {
        var spec = TestModels.Named(model);
        using var file = TestModels.Open(spec);
        // The oracle attends over unrounded K/V, so the decoder keeps an fp32 cache here.
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        var result = new TextGenerator(llama).Generate(Prompt, Options(SamplingOptions.Greedy, maxTokens: 16));

        int[] sequence = [.. result.PromptTokens, .. result.GeneratedTokens];
        double[][] oracle = TestModels.OracleLogits(spec, sequence);
        for (int i = 0; i < result.GeneratedTokens.Count; i++)
        {
            double[] logits = oracle[result.PromptTokens.Count - 1 + i];
            int chosen = result.GeneratedTokens[i], best = LogitsAssert.ArgMax(logits);
            // Float rounding may only swap two tokens whose logits (of size ~3) tie to within the oracle bound.
            Assert.True(chosen == best || logits[best] - logits[chosen] < 1e-3,
                $"step {i}: the decoder chose {chosen} (logit {logits[chosen]:F6}); the oracle's best is {best} ({logits[best]:F6})");
        }
    }

    [Fact]
    public void Seeded_sampling_repeats_with_its_seed_and_differs_with_another()
    {
        using var file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        var first = generator.Generate(Prompt, Options(Sampled));
        var again = generator.Generate(Prompt, Options(Sampled));
        var otherSeed = generator.Generate(Prompt, Options(Sampled with { Seed = 8 }));
        var greedy = generator.Generate(Prompt, Options(SamplingOptions.Greedy));

        Assert.Equal(first.GeneratedTokens, again.GeneratedTokens);
        Assert.Equal(first.Text, again.Text);
        // The synthetic model's next-token probabilities peak between 0.1 and 0.9, so 24 draws all agreeing by chance is
        // vanishingly unlikely.
        Assert.NotEqual(first.GeneratedTokens, otherSeed.GeneratedTokens);
        Assert.NotEqual(first.GeneratedTokens, greedy.GeneratedTokens);
    }

    [Fact]
    public void Streamed_text_is_the_result_text()
    {
        using var file = TestModels.Open(TestModels.LlamaTied);
        using var llama = LlamaModel.Load(file);
        var streamed = new System.Text.StringBuilder();
        var result = new TextGenerator(llama).Generate(Prompt, Options(Sampled), piece => streamed.Append(piece));
        Assert.Equal(result.Text, streamed.ToString());
        Assert.Equal(result.Text, llama.Tokenizer.Decode(result.GeneratedTokens.ToArray()));
    }
}
