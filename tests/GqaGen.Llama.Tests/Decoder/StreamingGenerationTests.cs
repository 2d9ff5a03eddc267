using System.Collections.Concurrent;
using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>The async forms: the stream's updates add up to the same result as the blocking call; arguments are checked
/// at once; cancellation stops before the next forward pass and leaves the session consistent; the steps run off the
/// caller's context.</summary>
public sealed class StreamingGenerationTests
{
    private const string Prompt = "The keeper wrote the time in the log";
    private static readonly Random Random = new(Environment.TickCount);

    private static GenerationOptions Sampled(int maxTokens = 32) => new()
    {
        MaxTokens = maxTokens,
        StopAtEndOfSequence = false,
        Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 40, TopP = 0.95f, MinP = 0.02f, RepetitionPenalty = 1.1f, Seed = Random.Next() },
    };

    [Fact]
    public async Task The_stream_adds_up_to_the_result_of_the_blocking_call()
    {
        using GgufFile file = TestModels.Open(TestModels.LlamaTied);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        GenerationOptions options = Sampled();
        GenerationResult blocking = generator.Generate(Prompt, options);

        var updates = new List<GenerationUpdate>();
        await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(Prompt, options))
            updates.Add(update);

        GenerationResult result = Assert.Single(updates, u => u.IsFinal).Result!;
        Assert.Same(updates[^1].Result, result);
        Assert.Equal(blocking.GeneratedTokens, result.GeneratedTokens);
        Assert.Equal(blocking.Text, result.Text);
        Assert.Equal(blocking.StopReason, result.StopReason);
        Assert.Equal(blocking.PromptTokens, result.PromptTokens);
        Assert.Equal((blocking.PromptTokens.Count, 0), (result.PromptTokensEvaluated, result.PromptTokensReused));
        Assert.Equal(result.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(result.GeneratedTokens, updates.SelectMany(u => u.Tokens));
        Assert.Equal(options.MaxTokens - 1, result.DecodeSteps);

        // Token ids in, the same: the string overload encodes with BOS.
        GenerationResult fromTokens = await generator.GenerateAsync(llama.Tokenizer.Encode(Prompt, addBos: true), options);
        Assert.Equal(blocking.GeneratedTokens, fromTokens.GeneratedTokens);
        Assert.Equal(blocking.GeneratedTokens, (await generator.GenerateAsync(Prompt, options)).GeneratedTokens);

        // Each enumeration is a new generation.
        IAsyncEnumerable<GenerationUpdate> stream = generator.GenerateStreamingAsync(Prompt, options);
        Assert.Equal(await Final(stream), await Final(stream), ResultComparer);
    }

    [Fact]
    public void Arguments_are_checked_when_called_not_when_enumerated()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        using GgufFile otherFile = TestModels.Open(TestModels.Mha);
        using var other = LlamaModel.Load(otherFile);
        var generator = new TextGenerator(llama);
        int vocabulary = llama.Config.VocabularySize;

        var empty = Assert.Throws<ArgumentException>(() => generator.GenerateStreamingAsync(Array.Empty<int>()));
        Assert.Equal("promptTokens", empty.ParamName);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateStreamingAsync([1, vocabulary]));
        Assert.Equal(("promptTokens", (object)vocabulary), (outside.ParamName, outside.ActualValue));
        // Thrown by the call itself, not by the task it would return.
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = generator.GenerateAsync([-1]); });

        using var small = llama.CreateSession(4);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateStreamingAsync(small, [1, 2, 3, 4, 5]));
        Assert.Contains("the session holds 4 positions", tooLong.Message, StringComparison.Ordinal);
        using var foreign = other.CreateSession(8);
        var wrongModel = Assert.Throws<ArgumentException>(() => { _ = generator.GenerateAsync(foreign, [1, 2]); });
        Assert.Equal("session", wrongModel.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.GenerateStreamingAsync(Prompt, new GenerationOptions { ContextLength = 2 }));
    }

    [Fact]
    public async Task Cancelling_between_updates_stops_before_the_next_forward_pass_and_the_session_carries_on()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        int[] prompt = TestModels.RandomTokens(30, llama.Config.VocabularySize, Random.Next());
        var greedy = new GenerationOptions { MaxTokens = 24, StopAtEndOfSequence = false };
        using var session = llama.CreateSession(128);

        using var cancel = new CancellationTokenSource();
        int stopAfter = Random.Next(1, 10);
        var received = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(session, prompt, greedy).WithCancellation(cancel.Token))
            {
                received.AddRange(update.Tokens);
                if (received.Count >= stopAfter)
                    cancel.Cancel();
            }
        });
        // The last token received was drawn but never run: the cancel came before its forward pass.
        Assert.Equal([.. prompt, .. received[..^1]], session.Tokens);

        // The session goes on: the same request keeps all of the prompt but its last token, and gives a fresh run's tokens.
        GenerationResult again = generator.Generate(session, prompt, greedy);
        Assert.Equal(1, again.PromptTokensEvaluated);
        Assert.Equal(generator.Generate(prompt, greedy).GeneratedTokens, again.GeneratedTokens);
        Assert.Equal(received, again.GeneratedTokens.Take(received.Count));
    }

    [Fact]
    public void Cancelling_from_the_text_callback_throws_before_another_forward_pass()
    {
        using ScriptedRun run = ScriptedRun.Create("abcdefghij");
        using var session = run.Model.CreateSession(32);
        using var cancel = new CancellationTokenSource();
        var pieces = new List<string>();
        Assert.Throws<OperationCanceledException>(() => new TextGenerator(run.Model).Generate(session, [run.Start], new GenerationOptions { MaxTokens = 20 },
            piece =>
            {
                pieces.Add(piece);
                if (pieces.Count == 3)
                    cancel.Cancel();
            },
            cancel.Token));
        // "a", "b", "c" were drawn and streamed; "a" and "b" were run (to draw "b" and "c"); "c" was not.
        Assert.Equal(["a", "b", "c"], pieces);
        Assert.Equal([run.Start, 'a', 'b'], session.Tokens);
    }

    [Fact]
    public async Task Leaving_the_stream_early_stops_the_generation_with_the_session_consistent()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        int[] prompt = TestModels.RandomTokens(12, llama.Config.VocabularySize, Random.Next());
        using var session = llama.CreateSession(64);
        var received = new List<int>();
        await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(session, prompt, Sampled()))
        {
            received.AddRange(update.Tokens);
            if (received.Count >= 3)
                break;
        }
        Assert.Equal([.. prompt, .. received[..^1]], session.Tokens);
        // Not left busy: another generation runs on it at once.
        Assert.Equal(3, generator.Generate(session, prompt, new GenerationOptions { MaxTokens = 3, StopAtEndOfSequence = false }).GeneratedTokens.Count);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_GenerateAsync_and_the_stream_before_anything_runs()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        using var session = llama.CreateSession(64);
        var cancelled = new CancellationToken(canceled: true);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(session, [1, 2, 3], cancellationToken: cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in generator.GenerateStreamingAsync(session, [1, 2, 3], cancellationToken: cancelled))
            {
            }
        });
        Assert.Empty(session.Tokens);
    }

    [Fact]
    public void The_steps_run_off_the_callers_context()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        int updates = 0, updatesWhenPingRan = -1;
        SingleThreadContext.Run(async () =>
        {
            await foreach (GenerationUpdate update in generator.GenerateStreamingAsync(Prompt, Sampled(maxTokens: 24)))
            {
                if (++updates == 1)
                    SynchronizationContext.Current!.Post(_ => updatesWhenPingRan = updates, null);
            }
        });
        // Had the forward passes run on the context's one thread, the ping would have waited for the end of the stream.
        Assert.True(updates > 4, $"only {updates} updates");
        Assert.InRange(updatesWhenPingRan, 1, 2);
    }

    [Fact]
    public void A_full_context_ends_with_the_token_that_could_not_be_run_and_MaxTokens_0_only_fills_the_cache()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        int[] prompt = TestModels.RandomTokens(10, llama.Config.VocabularySize, Random.Next());
        using var session = llama.CreateSession(14);

        GenerationResult full = generator.Generate(session, prompt, new GenerationOptions { MaxTokens = 50, StopAtEndOfSequence = false });
        Assert.Equal(StopReason.ContextFull, full.StopReason);
        Assert.Equal(14 - 10 + 1, full.GeneratedTokens.Count);
        Assert.Equal([.. prompt, .. full.GeneratedTokens.Take(4)], session.Tokens);

        GenerationResult warm = generator.Generate(session, [.. prompt, 5], new GenerationOptions { MaxTokens = 0 });
        Assert.Equal((StopReason.MaxTokens, 0, ""), (warm.StopReason, warm.GeneratedTokens.Count, warm.Text));
        Assert.Equal([.. prompt, 5], session.Tokens);
        Assert.Equal(1, warm.PromptTokensEvaluated);
    }

    private static async Task<GenerationResult> Final(IAsyncEnumerable<GenerationUpdate> stream)
    {
        GenerationResult? result = null;
        await foreach (GenerationUpdate update in stream)
            result = update.Result;
        return result!;
    }

    private static readonly IEqualityComparer<GenerationResult> ResultComparer = EqualityComparer<GenerationResult>.Create(
        (a, b) => a!.GeneratedTokens.SequenceEqual(b!.GeneratedTokens) && a.Text == b.Text && a.StopReason == b.StopReason);

    /// <summary>A scripted model (see <see cref="ScriptedModel"/>) producing <c>text</c>'s byte tokens from a start token.</summary>
    private sealed class ScriptedRun : IDisposable
    {
        private readonly GgufFile _file;

        private ScriptedRun(GgufFile file, int start)
        {
            _file = file;
            Model = LlamaModel.Load(file);
            Start = start;
        }

        public LlamaModel Model { get; }

        public int Start { get; }

        public static ScriptedRun Create(string text) => new(GgufFile.Parse(ScriptedModel.Create('Z', ScriptedModel.ByteTokens(text))), 'Z');

        public void Dispose()
        {
            Model.Dispose();
            _file.Dispose();
        }
    }

    /// <summary>A synchronization context with one thread, as a UI thread has: posted work runs in order on it.</summary>
    private sealed class SingleThreadContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

        /// <summary>Runs <paramref name="work"/> on this thread under a new context, pumping posts until it completes.</summary>
        public static void Run(Func<Task> work)
        {
            var context = new SingleThreadContext();
            SynchronizationContext? previous = Current;
            SetSynchronizationContext(context);
            try
            {
                Task task = work();
                task.ContinueWith(_ => context._queue.CompleteAdding(), TaskScheduler.Default);
                foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
                    callback(state);
                task.GetAwaiter().GetResult();
            }
            finally
            {
                SetSynchronizationContext(previous);
            }
        }
    }
}
