using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Prompt progress: one report per chunk of <see cref="LlamaSession.PrefillChunk"/> tokens, growing to the
/// total, on the thread that runs the prefill; a generation reports only the tokens it evaluates.</summary>
public sealed class PrefillProgressTests
{
    private static readonly Random Random = new(Environment.TickCount);

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    public void Prefill_reports_after_each_chunk_up_to_the_total(int tokens)
    {
        using GgufFile file = TestModels.Open(TestModels.Named("Gqa"));
        using var llama = LlamaModel.Load(file);
        using var session = llama.CreateSession(256);
        var reports = new List<(PrefillProgress Progress, int Thread)>();
        var progress = new SyncProgress<PrefillProgress>(p => reports.Add((p, Environment.CurrentManagedThreadId)));

        session.Prefill(TestModels.RandomTokens(tokens, llama.Config.VocabularySize, Random.Next()), progress, CancellationToken.None);

        int chunks = (tokens + LlamaSession.PrefillChunk - 1) / LlamaSession.PrefillChunk;
        Assert.Equal(chunks, reports.Count);
        for (int i = 0; i < chunks; i++)
        {
            PrefillProgress p = reports[i].Progress;
            Assert.Equal(Math.Min((i + 1) * LlamaSession.PrefillChunk, tokens), p.TokensDone);
            Assert.Equal(tokens, p.TokensTotal);
            Assert.True(i == 0 || p.Elapsed >= reports[i - 1].Progress.Elapsed);
            Assert.Equal(Environment.CurrentManagedThreadId, reports[i].Thread);
        }
        Assert.Equal(1.0, reports[^1].Progress.Fraction);
        Assert.True(reports[^1].Progress.TokensPerSecond > 0);
    }

    [Fact]
    public void Generation_reports_only_the_tokens_it_evaluates()
    {
        using GgufFile file = TestModels.Open(TestModels.Named("Gqa"));
        using var llama = LlamaModel.Load(file);
        using var session = llama.CreateSession(256);
        var generator = new TextGenerator(llama);
        var reports = new List<PrefillProgress>();
        var options = new GenerationOptions { MaxTokens = 3, StopAtEndOfSequence = false, PromptProgress = new SyncProgress<PrefillProgress>(reports.Add) };
        int[] first = TestModels.RandomTokens(40, llama.Config.VocabularySize, Random.Next());

        GenerationResult one = generator.Generate(session, first, options);
        Assert.Equal(40, reports[^1].TokensTotal);
        Assert.Equal(40, reports[^1].TokensDone);

        reports.Clear();
        int[] second = [.. first, .. one.GeneratedTokens, .. TestModels.RandomTokens(5, llama.Config.VocabularySize, Random.Next())];
        GenerationResult two = generator.Generate(session, second, options);
        Assert.Single(reports);
        Assert.Equal(two.PromptTokensEvaluated, reports[0].TokensTotal);
        Assert.Equal(two.PromptTokensEvaluated, reports[0].TokensDone);
    }

    /// <summary>Calls the handler on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
