using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>A conversation on one session: each turn runs only the prompt tokens the session does not already hold, and
/// computes what a fresh session running the whole prompt computes.</summary>
public sealed class PrefixReuseTests
{
    private static readonly Random Random = new(Environment.TickCount);

    [Theory]
    [InlineData("Gqa")]
    [InlineData("LlamaTied")]
    public void Each_turn_evaluates_only_its_new_tokens_and_matches_a_fresh_session(string model)
    {
        var spec = TestModels.Named(model);
        using GgufFile file = TestModels.Open(spec);
        // An fp32 cache: a reused prefix was computed in other chunks than a fresh session's, so its keys and values agree
        // within rounding, not bit for bit, and a 16-bit cache would round some of them apart (an ulp of f16 is 1e-3).
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        var generator = new TextGenerator(llama);
        int vocabulary = llama.Config.VocabularySize;
        var options = new GenerationOptions { MaxTokens = 10, StopAtEndOfSequence = false };
        using var session = llama.CreateSession(256);

        // Turn 1: a fresh session runs the whole prompt.
        int[] first = TestModels.RandomTokens(40, vocabulary, Random.Next());
        GenerationResult one = generator.Generate(session, first, options);
        Assert.Equal(first.Length, one.PromptTokensEvaluated);
        Assert.Equal([.. first, .. one.GeneratedTokens.Take(9)], session.Tokens);

        // Turn 2 extends the conversation: turn 1's prompt and answer, then new tokens (a chat template's next user turn).
        int[] user = TestModels.RandomTokens(15, vocabulary, Random.Next());
        int[] second = [.. first, .. one.GeneratedTokens, .. user];
        GenerationResult two = generator.Generate(session, second, options);
        // The session held all but the answer's last token (drawn, never run); that token and the new ones run.
        Assert.Equal(1 + user.Length, two.PromptTokensEvaluated);
        Assert.Equal(first.Length + 9, two.PromptTokensReused);
        GenerationResult freshTwo = generator.Generate(second, options);
        Assert.Equal(freshTwo.GeneratedTokens, two.GeneratedTokens);
        Assert.Equal(freshTwo.Text, two.Text);

        // The logits after turn 2 are a fresh session's for the same sequence.
        int[] sequence = [.. second, .. two.GeneratedTokens];
        float[] reused = session.Decode(two.GeneratedTokens[^1]).ToArray();
        using (var fresh = llama.CreateSession(256))
        {
            double error = LogitsAssert.RelativeError(reused, fresh.Prefill(sequence));
            Assert.True(error <= 1e-5, $"logits after reuse differ from a fresh session's by {error:E2}");
        }

        // Turn 3 edits the history (a different answer from token 25 on): everything from the first difference runs.
        int[] third = [.. first[..25], .. TestModels.RandomTokens(12, vocabulary, Random.Next())];
        if (third[25] == first[25])
            third[25] = (third[25] + 1) % vocabulary;
        GenerationResult three = generator.Generate(session, third, options);
        Assert.Equal(third.Length - 25, three.PromptTokensEvaluated);
        Assert.Equal(generator.Generate(third, options).GeneratedTokens, three.GeneratedTokens);

        // Turn 4 repeats a prompt the session holds entirely: only its last token runs, for the logits.
        session.Rewind(third.Length);
        GenerationResult four = generator.Generate(session, third, options);
        Assert.Equal(1, four.PromptTokensEvaluated);
        Assert.Equal(three.GeneratedTokens, four.GeneratedTokens);
    }

    [Fact]
    public async Task The_streaming_form_reuses_the_prefix_too()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        var options = new GenerationOptions { MaxTokens = 6, StopAtEndOfSequence = false };
        using var session = llama.CreateSession(128);
        int[] first = TestModels.RandomTokens(20, llama.Config.VocabularySize, Random.Next());
        GenerationResult one = await generator.GenerateAsync(session, first, options);

        int[] second = [.. first, .. one.GeneratedTokens, 7, 8, 9];
        GenerationResult? two = null;
        await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(session, second, options))
            two = update.Result ?? two;
        Assert.Equal(4, two!.PromptTokensEvaluated);
        Assert.Equal(generator.Generate(second, options).GeneratedTokens, two.GeneratedTokens);
    }
}
