using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>A prompt that does not fit the model's trained context (or the session's) is refused before any work, or,
/// when asked, cut from the left with BOS kept; an explicit context above the trained length is the caller's choice.</summary>
public sealed class ContextLimitTests
{
    /// <summary>The GQA test model trained on a context of 48 positions.</summary>
    private static readonly SyntheticLlamaSpec Short = TestModels.Gqa with { ContextLength = 48 };

    private static GenerationOptions Greedy(int maxTokens = 4) => new() { MaxTokens = maxTokens, StopAtEndOfSequence = false };

    private static int[] PromptOf(LlamaModel model, int length, int seed)
    {
        int[] random = TestModels.RandomTokens(length, model.Config.VocabularySize, seed);
        if (model.Tokenizer.AddBos)
            random[0] = model.Tokenizer.BosId;
        return random;
    }

    [Fact]
    public void A_prompt_longer_than_the_trained_context_is_refused_before_any_work()
    {
        using var file = TestModels.Open(Short);
        using var model = LlamaModel.Load(file);
        int[] prompt = PromptOf(model, 60, seed: 1);
        var generator = new TextGenerator(model);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateStreamingAsync(prompt, Greedy()));
        Assert.Contains("60 tokens", e.Message);
        Assert.Contains("trained context", e.Message);
        Assert.Contains("TruncatePromptFromLeft", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(prompt, Greedy()));

        // A prompt that fits exactly is fine; so is a longer one with a context the caller set above the trained length.
        Assert.Equal(4, generator.Generate(prompt[..44], Greedy()).GeneratedTokens.Count);
        GenerationResult beyond = generator.Generate(prompt, Greedy() with { ContextLength = 80 });
        Assert.Equal(60, beyond.PromptTokens.Count);
        Assert.Equal(0, beyond.PromptTokensDropped);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(40)]   // more than half the context: room is capped at half
    public void Truncation_keeps_BOS_and_the_last_tokens_and_equals_running_them(int maxTokens)
    {
        using var file = TestModels.Open(Short);
        using var model = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        int[] prompt = PromptOf(model, 100, seed: 2);
        var generator = new TextGenerator(model);

        GenerationResult cut = generator.Generate(prompt, Greedy(maxTokens) with { TruncatePromptFromLeft = true });
        int room = Math.Min(maxTokens, 48 / 2);
        int keep = 48 - room - (model.Tokenizer.AddBos ? 1 : 0);
        int[] expected = model.Tokenizer.AddBos ? [prompt[0], .. prompt[^keep..]] : prompt[^keep..];
        Assert.Equal(expected, cut.PromptTokens);
        Assert.Equal(prompt.Length - expected.Length, cut.PromptTokensDropped);

        GenerationResult direct = generator.Generate(expected, Greedy(maxTokens));
        Assert.Equal(direct.GeneratedTokens, cut.GeneratedTokens);
        Assert.Equal(0, direct.PromptTokensDropped);
    }

    [Fact]
    public void A_session_refuses_a_longer_prompt_unless_truncation_is_asked()
    {
        using var file = TestModels.Open(TestModels.Gqa);
        using var model = LlamaModel.Load(file);
        using LlamaSession session = model.CreateSession(32);
        int[] prompt = PromptOf(model, 40, seed: 3);
        var generator = new TextGenerator(model);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(session, prompt, Greedy()));
        Assert.Contains("session holds 32", e.Message);
        Assert.Equal(0, session.Position);

        GenerationResult cut = generator.Generate(session, prompt, Greedy() with { TruncatePromptFromLeft = true });
        Assert.Equal(32 - 4, cut.PromptTokens.Count);
        Assert.Equal(12, cut.PromptTokensDropped);
    }
}
