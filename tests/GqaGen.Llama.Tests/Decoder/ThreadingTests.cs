using GqaGen.Llama.Tests.Support;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Splitting the matrix products (and a prefill chunk's attention) over threads changes nothing observable.</summary>
public sealed class ThreadingTests
{
    [Theory]
    [InlineData("Gqa")]
    [InlineData("Gqa.Q8_0")]
    [InlineData("Unannotated")]
    public void Two_threads_give_the_same_logits_and_tokens_as_one(string model)
    {
        var spec = TestModels.Named(model);
        using var file = TestModels.Open(spec);
        using var single = LlamaModel.Load(file, new LlamaModelOptions { Threads = 1 });
        using var dual = LlamaModel.Load(file, new LlamaModelOptions { Threads = 2 });

        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: 41);
        using var a = single.CreateSession(tokens.Length);
        using var b = dual.CreateSession(tokens.Length);
        double prefill = LogitsAssert.RelativeError(b.Prefill(tokens.AsSpan(0, 40)), a.Prefill(tokens.AsSpan(0, 40)));
        Assert.True(prefill <= 1e-6, $"prefill logits differ by {prefill:E2}");
        for (int p = 40; p < tokens.Length; p++)
        {
            double error = LogitsAssert.RelativeError(b.Decode(tokens[p]), a.Decode(tokens[p]));
            Assert.True(error <= 1e-6, $"position {p}: logits differ by {error:E2}");
        }

        var options = new GenerationOptions { MaxTokens = 20, StopAtEndOfSequence = false };
        Assert.Equal(
            new TextGenerator(single).Generate("Hello, world", options).GeneratedTokens,
            new TextGenerator(dual).Generate("Hello, world", options).GeneratedTokens);
    }
}
