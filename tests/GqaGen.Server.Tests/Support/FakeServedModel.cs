using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Tests.Support;

/// <summary>
/// A served model whose answers are <see cref="FakeText"/>'s (the last user message, or the raw prompt, reversed),
/// with hooks a test uses to hold a generation, see it start and see it cancelled, and counters proving that the
/// server never runs two generations at once.
/// </summary>
internal sealed class FakeServedModel : IServedModel
{
    /// <summary>Text that makes the fake throw <see cref="InvalidOperationException"/> (a bug, for the 500 path).</summary>
    public const string Crash = "crash the model";

    /// <summary>Text that makes the fake throw after its first piece (a failure mid-stream).</summary>
    public const string CrashMidway = "crash after a piece";

    private int _active;
    private int _maxActive;
    private int _calls;

    public FakeServedModel(string id = "fake-model", int contextLength = 512)
    {
        Id = id;
        ContextLength = contextLength;
        ChatClient = new FakeChatClient(this);
    }

    public string Id { get; }

    public int ContextLength { get; }

    public IChatClient ChatClient { get; }

    /// <summary>Generations started.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The most generations ever running at once.</summary>
    public int MaxActive => Volatile.Read(ref _maxActive);

    /// <summary>The source texts of the generations, in the order they started.</summary>
    public ConcurrentQueue<string> Started { get; } = new();

    /// <summary>The options of the last generation.</summary>
    public ChatOptions? LastOptions { get; private set; }

    /// <summary>When set, a generation waits on it after producing its first piece (until set or cancelled).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Completed when a generation has produced its first piece.</summary>
    public TaskCompletionSource FirstPiece { get; private set; } = NewSignal();

    /// <summary>Completed when a generation observed its cancellation.</summary>
    public TaskCompletionSource CancellationSeen { get; } = NewSignal();

    /// <summary>Makes a fresh <see cref="FirstPiece"/> signal for the next generation to complete.</summary>
    public void ResetFirstPiece() => FirstPiece = NewSignal();

    public IAsyncEnumerable<TextCompletionUpdate> CompleteStreamingAsync(string prompt, ChatOptions options, CancellationToken cancellationToken)
    {
        if (prompt.Length > ContextLength)
            throw new ArgumentOutOfRangeException(nameof(prompt), prompt.Length, $"The prompt is {prompt.Length} tokens; the context holds {ContextLength}.");
        return GenerateAsync(prompt, prompt.Length, options, cancellationToken);
    }

    public string ApplyTemplate(IReadOnlyList<ChatMessage> messages)
    {
        var prompt = new StringBuilder();
        foreach (ChatMessage message in messages)
        {
            if (message.Role != ChatRole.System && message.Role != ChatRole.User && message.Role != ChatRole.Assistant)
                throw new ArgumentException($"The template has no role '{message.Role}'.", nameof(messages));
            prompt.Append("<|").Append(message.Role.Value).Append("|>").Append(message.Text).Append("<|end|>\n");
        }
        return prompt.Append("<|assistant|>").ToString();
    }

    /// <summary>The chat path: the template applied (its length is the prompt's token count), the last user message
    /// reversed.</summary>
    internal IAsyncEnumerable<TextCompletionUpdate> Chat(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var list = messages.ToList();
        string prompt = ApplyTemplate(list);
        if (prompt.Length > ContextLength)
            throw new ArgumentException($"The prompt is {prompt.Length} tokens; the context holds {ContextLength}.", nameof(messages));
        ChatMessage user = list.LastOrDefault(m => m.Role == ChatRole.User)
            ?? throw new ArgumentException("The conversation has no user message.", nameof(messages));
        return GenerateAsync(user.Text, prompt.Length, options, cancellationToken);
    }

    private async IAsyncEnumerable<TextCompletionUpdate> GenerateAsync(
        string source, int promptTokens, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (source == Crash)
            throw new InvalidOperationException("The fake model crashed, as asked.");

        Interlocked.Increment(ref _calls);
        int active = Interlocked.Increment(ref _active);
        InterlockedMax(ref _maxActive, active);
        Started.Enqueue(source);
        LastOptions = options;
        try
        {
            List<TextCompletionUpdate> updates = FakeText.Updates(source, promptTokens, options);
            for (int i = 0; i < updates.Count; i++)
            {
                // Give any other request the chance to overlap this one, were the server not serializing them.
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                yield return updates[i];
                if (i == 0)
                {
                    // Hold is read before FirstPiece is signalled, so a test may clear Hold once it sees the signal
                    // without racing this generation.
                    TaskCompletionSource? hold = Hold;
                    FirstPiece.TrySetResult();
                    if (source == CrashMidway)
                        throw new InvalidOperationException("The fake model crashed midway, as asked.");
                    if (hold is not null)
                        await WaitObservingCancellation(hold.Task, cancellationToken);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task WaitObservingCancellation(Task hold, CancellationToken cancellationToken)
    {
        try
        {
            await hold.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            CancellationSeen.TrySetResult();
            throw;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The fake's <see cref="IChatClient"/>: streaming yields <see cref="FakeText"/>'s pieces; the whole
    /// response is those pieces joined, with the same finish reason and usage.</summary>
    private sealed class FakeChatClient(FakeServedModel model) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var text = new StringBuilder();
            ChatFinishReason? reason = null;
            UsageDetails? usage = null;
            await foreach (TextCompletionUpdate update in model.Chat(messages, options, cancellationToken))
            {
                text.Append(update.Text);
                reason = update.FinishReason ?? reason;
                usage = update.Usage ?? usage;
            }
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString())) { FinishReason = reason, Usage = usage, ModelId = model.Id };
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (TextCompletionUpdate update in model.Chat(messages, options, cancellationToken))
            {
                var contents = new List<AIContent>();
                if (update.Text.Length > 0)
                    contents.Add(new TextContent(update.Text));
                if (update.Usage is not null)
                    contents.Add(new UsageContent(update.Usage));
                yield return new ChatResponseUpdate(ChatRole.Assistant, contents) { FinishReason = update.FinishReason, ModelId = model.Id };
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
