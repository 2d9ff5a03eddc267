using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>A session's <see cref="LlamaSession.Tokens"/> follow exactly the forward passes that completed, and
/// <see cref="LlamaSession.Rewind"/> continues as if the forgotten positions had never run.</summary>
public sealed class SessionRewindTests
{
    private static readonly Random Random = new(Environment.TickCount);

    [Fact]
    public void Tokens_follow_prefill_decode_rewind_and_reset()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        using var session = llama.CreateSession(80);
        int[] tokens = TestModels.RandomTokens(50, llama.Config.VocabularySize, Random.Next());

        Assert.Empty(session.Tokens);
        session.Prefill(tokens.AsSpan(0, 40));
        Assert.Equal(tokens[..40], session.Tokens);
        session.Decode(tokens[40]);
        Assert.Equal(tokens[..41], session.Tokens);
        Assert.Equal(41, session.Position);

        session.Rewind(17);
        Assert.Equal(tokens[..17], session.Tokens);
        Assert.Equal(17, session.Position);
        session.Rewind(17); // to where it is: nothing changes
        Assert.Equal(17, session.Position);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Rewind(18));
        Assert.Equal(("position", 18), (e.ParamName, e.ActualValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Rewind(-1));
        Assert.False(session.CanRewind(18));
        Assert.False(session.CanRewind(-1));

        // A failed prefill (a bad token in a later chunk) leaves the tokens as they were.
        int[] bad = [.. tokens[17..50]];
        bad[^1] = llama.Config.VocabularySize;
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill(bad));
        Assert.Equal(tokens[..17], session.Tokens);

        Assert.Throws<InvalidCastException>(() => (List<int>)session.Tokens); // a read-only view, not the list itself
        session.Reset();
        Assert.Empty(session.Tokens);
    }

    [Theory]
    [InlineData(KvElementType.Float32)]
    [InlineData(KvElementType.Float16)]
    [InlineData(KvElementType.Q8_0)]
    public void After_a_rewind_the_session_continues_exactly_as_one_that_never_ran_past_it(KvElementType type)
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = type });
        int vocabulary = llama.Config.VocabularySize;
        int[] first = TestModels.RandomTokens(70, vocabulary, Random.Next());
        int keep = Random.Next(1, 69);
        int[] then = TestModels.RandomTokens(40, vocabulary, Random.Next());

        // The first prompt runs in two calls split at `keep`, so that the prefix's cache rows come from the same chunks
        // as the fresh session's below: batched products and prefill attention tile their work by the chunk's token
        // count, so only the same chunks promise the same bits (another chunking agrees within rounding).
        using var rewound = llama.CreateSession(120);
        rewound.Prefill(first.AsSpan(0, keep));
        rewound.Prefill(first.AsSpan(keep));
        rewound.Decode(then[0]);
        rewound.Rewind(keep);
        float[] afterRewind = rewound.Prefill(then).ToArray();
        float[] decoded = rewound.Decode(then[1]).ToArray();

        using var fresh = llama.CreateSession(120);
        fresh.Prefill(first.AsSpan(0, keep));
        float[] expected = fresh.Prefill(then).ToArray();
        float[] freshDecoded = fresh.Decode(then[1]).ToArray();
        Assert.Equal(fresh.Tokens, rewound.Tokens);
        // Same positions, same chunks, same cache rows: the same bits.
        Assert.Equal(expected, afterRewind);
        Assert.Equal(freshDecoded, decoded);
    }

    [Fact]
    public void A_sliding_window_ring_rewinds_only_while_the_next_tokens_window_is_held()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        const int window = 8;
        int[] tokens = TestModels.RandomTokens(30, llama.Config.VocabularySize, Random.Next());
        using var ring = new KvCache(llama.Config.Shape, llama.Config.Layers, capacity: 64, KvElementType.Float32, slidingWindow: window);
        using var session = llama.ResumeSession(ring, 0);

        for (int p = 0; p < 6; p++)
            session.Decode(tokens[p]);
        // Not wrapped yet: every position is held.
        Assert.All(Enumerable.Range(0, 7), p => Assert.True(session.CanRewind(p)));

        for (int p = 6; p < 20; p++)
            session.Decode(tokens[p]);
        // Position 20 holds positions 12..19; a token at 19 attends to 12..19 (held), one at 18 to 11..18 (11 is gone).
        Assert.True(session.CanRewind(20));
        Assert.True(session.CanRewind(19));
        Assert.False(session.CanRewind(18));
        Assert.False(session.CanRewind(5));
        Assert.True(session.CanRewind(0));
        var e = Assert.Throws<InvalidOperationException>(() => session.Rewind(18));
        Assert.Contains("sliding-window ring", e.Message, StringComparison.Ordinal);
        Assert.Equal(20, session.Position);

        // Rewinding by one and running another token is what a session that stopped at 19 would compute.
        session.Rewind(19);
        float[] afterRewind = session.Decode(tokens[25]).ToArray();
        using var ring2 = new KvCache(llama.Config.Shape, llama.Config.Layers, capacity: 64, KvElementType.Float32, slidingWindow: window);
        using var straight = llama.ResumeSession(ring2, 0);
        for (int p = 0; p < 19; p++)
            straight.Decode(tokens[p]);
        Assert.Equal(straight.Decode(tokens[25]).ToArray(), afterRewind);
    }

    [Fact]
    public void A_resumed_session_marks_the_positions_it_inherited_as_unknown_and_reuses_none_of_them()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        int[] prompt = TestModels.RandomTokens(20, llama.Config.VocabularySize, Random.Next());
        using var cache = new KvCache(llama.Config.Shape, llama.Config.Layers, 64, llama.Options.KvElementType);
        using (var first = llama.ResumeSession(cache, 0))
            first.Prefill(prompt);

        using var resumed = llama.ResumeSession(cache, prompt.Length);
        Assert.Equal(Enumerable.Repeat(LlamaSession.UnknownToken, prompt.Length), resumed.Tokens);
        var result = new TextGenerator(llama).Generate(resumed, prompt, new GenerationOptions { MaxTokens = 3, StopAtEndOfSequence = false });
        Assert.Equal(prompt.Length, result.PromptTokensEvaluated);
        Assert.Equal(0, result.PromptTokensReused);
    }

    [Fact]
    public async Task A_prefill_cancelled_between_chunks_leaves_the_session_as_before_and_usable()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        int vocabulary = llama.Config.VocabularySize;
        int[] start = TestModels.RandomTokens(10, vocabulary, Random.Next());
        int[] longer = TestModels.RandomTokens(3_000, vocabulary, Random.Next());
        using var session = llama.CreateSession(start.Length + longer.Length);
        session.Prefill(start);

        // Already cancelled: nothing runs.
        Assert.Throws<OperationCanceledException>(() => session.Prefill(longer, new CancellationToken(canceled: true)));
        Assert.Equal(start, session.Tokens);

        // Cancelled while it runs: wait until some chunks have completed (they show in Position), then cancel.
        using var cancel = new CancellationTokenSource();
        Task<bool> prefill = Task.Run(() =>
        {
            try
            {
                session.Prefill(longer, cancel.Token);
                return false;
            }
            catch (OperationCanceledException)
            {
                return true;
            }
        });
        SpinWait.SpinUntil(() => session.Position > start.Length + LlamaSession.PrefillChunk || prefill.IsCompleted);
        cancel.Cancel();
        Assert.True(await prefill, "the prefill finished before it could be cancelled");
        Assert.Equal(start, session.Tokens);

        // Usable: the same prefill now gives what a fresh session gives.
        float[] logits = session.Prefill(longer.AsSpan(0, 40)).ToArray();
        using var fresh = llama.CreateSession(start.Length + longer.Length);
        fresh.Prefill(start);
        Assert.Equal(fresh.Prefill(longer.AsSpan(0, 40)).ToArray(), logits);
    }
}
