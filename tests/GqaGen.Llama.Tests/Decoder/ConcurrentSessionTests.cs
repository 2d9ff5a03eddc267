using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Sessions of one model running at once (they share the model's compute pool) compute exactly what they compute
/// alone; one session refuses a second call while one runs.</summary>
public sealed class ConcurrentSessionTests
{
    private static readonly Random Random = new(Environment.TickCount);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Sessions_of_one_model_on_several_threads_compute_what_they_compute_alone(int threads)
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { Threads = threads });
        int vocabulary = llama.Config.VocabularySize;
        // Long enough that a decode step's attention splits over the pool, with prefill chunks in between.
        int[][] sequences = Enumerable.Range(0, 3).Select(_ => TestModels.RandomTokens(300, vocabulary, Random.Next())).ToArray();

        float[][][] alone = sequences.Select(s => Run(llama, s)).ToArray();
        using var start = new Barrier(sequences.Length);
        float[][][] together = await Task.WhenAll(sequences.Select(s => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return Run(llama, s);
        }, TaskCreationOptions.LongRunning)));

        for (int i = 0; i < sequences.Length; i++)
            for (int step = 0; step < alone[i].Length; step++)
                Assert.True(alone[i][step].AsSpan().SequenceEqual(together[i][step]), $"sequence {i}, step {step}: logits differ when run concurrently");
    }

    [Fact]
    public async Task A_second_call_on_a_busy_session_throws_and_the_running_one_is_unharmed()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        int[] tokens = TestModels.RandomTokens(3_000, llama.Config.VocabularySize, Random.Next());
        using var session = llama.CreateSession(tokens.Length + 1);
        Task<float[]> prefill = Task.Run(() => session.Prefill(tokens).ToArray());
        SpinWait.SpinUntil(() => session.Position > 0 || prefill.IsCompleted);

        var e = Assert.Throws<InvalidOperationException>(() => session.Decode(1));
        Assert.Contains("Another call is running on this session", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => session.Rewind(0));
        Assert.Throws<InvalidOperationException>(session.Reset);

        float[] logits = await prefill;
        Assert.Equal(tokens, session.Tokens);
        using var alone = llama.CreateSession(tokens.Length + 1);
        Assert.Equal(alone.Prefill(tokens).ToArray(), logits);
    }

    /// <summary>A prefill of the first 100 tokens, then one decode step per token; every step's logits.</summary>
    private static float[][] Run(LlamaModel llama, int[] tokens)
    {
        using var session = llama.CreateSession(tokens.Length);
        var logits = new List<float[]> { session.Prefill(tokens.AsSpan(0, 100)).ToArray() };
        for (int p = 100; p < tokens.Length; p++)
            logits.Add(session.Decode(tokens[p]).ToArray());
        return [.. logits];
    }
}
