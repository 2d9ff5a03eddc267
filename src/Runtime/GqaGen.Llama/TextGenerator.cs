using System.Runtime.CompilerServices;
using GqaGen.Llama.Generation;

namespace GqaGen.Llama;

/// <summary>
/// Prompt → tokens → prefill → decode loop → text: the whole generation path on a <see cref="LlamaModel"/>, as a
/// blocking call with a text callback (<c>Generate</c>), a task (<c>GenerateAsync</c>) or an async stream of updates
/// (<c>GenerateStreamingAsync</c>). All three run the same loop.
/// </summary>
/// <remarks>
/// <para><b>Prompts.</b> A string is encoded with BOS (when the tokenizer adds one) and no special tokens; token ids
/// (a chat template's output, say) are used as given.</para>
/// <para><b>Sessions.</b> Without a session, each call creates a fresh one and frees it at the end. With a caller's
/// <see cref="LlamaSession"/>, the call keeps the longest prefix of <see cref="LlamaSession.Tokens"/> the prompt shares
/// (rewinding the rest), runs only the new prompt tokens (at least the last one, for its logits), and leaves the session
/// holding the prompt and the generated tokens that were run: the next turn of the conversation, whose prompt extends
/// this one, then runs only what is new (<see cref="GenerationResult.PromptTokensEvaluated"/>). The last generated token
/// is not run (nothing needs its logits), so it is the first thing the next turn evaluates if it belongs to the prompt.</para>
/// <para><b>Cancellation.</b> The token is checked before every forward pass (each decode step, each prefill chunk of
/// <see cref="LlamaSession.PrefillChunk"/> tokens), so a cancelled call throws <see cref="OperationCanceledException"/>
/// within one forward pass. The model and the session stay usable: the session holds exactly the tokens whose forward
/// passes completed (the prefix it kept and, if the prompt's prefill had finished, the prompt and the generated tokens
/// run so far), as its <see cref="LlamaSession.Tokens"/> say.</para>
/// <para><b>Threads.</b> The async forms run every forward pass on the thread pool (one <see cref="Task.Run(Action)"/>
/// per step), so the caller's context only sees the updates. A generator is stateless and may be shared; a session
/// runs one generation at a time.</para>
/// </remarks>
public sealed class TextGenerator
{
    private readonly LlamaModel _model;

    /// <summary>A generator over <paramref name="model"/>.</summary>
    public TextGenerator(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/> in a fresh session. <paramref name="onText"/> receives
    /// the text piece by piece as it becomes final (never half a UTF-8 character, never part of a stop sequence).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt encodes to no tokens (an empty prompt with a tokenizer that adds no BOS).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The prompt alone does not fit the context.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public GenerationResult Generate(string prompt, GenerationOptions? options = null, Action<string>? onText = null, CancellationToken cancellationToken = default)
        => RunToEnd(InFreshSession(prompt, options), onText, cancellationToken);

    /// <summary>Generates a continuation of <paramref name="promptTokens"/> (used as given) in a fresh session; as
    /// <see cref="Generate(string, GenerationOptions?, Action{string}?, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException">No prompt tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the context.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public GenerationResult Generate(IReadOnlyList<int> promptTokens, GenerationOptions? options = null, Action<string>? onText = null, CancellationToken cancellationToken = default)
        => RunToEnd(InFreshSession(promptTokens, options), onText, cancellationToken);

    /// <summary>Generates a continuation of <paramref name="promptTokens"/> on the caller's <paramref name="session"/>,
    /// reusing the prefix it already holds (see the remarks); <see cref="GenerationOptions.ContextLength"/> is ignored.</summary>
    /// <exception cref="ArgumentException">No prompt tokens, or the session belongs to another model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the session.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public GenerationResult Generate(LlamaSession session, IReadOnlyList<int> promptTokens, GenerationOptions? options = null, Action<string>? onText = null, CancellationToken cancellationToken = default)
        => RunToEnd(OnSession(session, promptTokens, options), onText, cancellationToken);

    /// <summary>As <see cref="Generate(string, GenerationOptions?, Action{string}?, CancellationToken)"/>, on the thread pool.</summary>
    /// <exception cref="ArgumentException">The prompt encodes to no tokens (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The prompt alone does not fit the context (thrown at once).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the task is cancelled).</exception>
    public Task<GenerationResult> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => RunToEndAsync(InFreshSession(prompt, options), cancellationToken);

    /// <summary>As <see cref="Generate(IReadOnlyList{int}, GenerationOptions?, Action{string}?, CancellationToken)"/>, on the thread pool.</summary>
    /// <exception cref="ArgumentException">No prompt tokens (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the context (thrown at once).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the task is cancelled).</exception>
    public Task<GenerationResult> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => RunToEndAsync(InFreshSession(promptTokens, options), cancellationToken);

    /// <summary>As <see cref="Generate(LlamaSession, IReadOnlyList{int}, GenerationOptions?, Action{string}?, CancellationToken)"/>, on the thread pool.</summary>
    /// <exception cref="ArgumentException">No prompt tokens, or the session belongs to another model (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the session (thrown at once).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the task is cancelled).</exception>
    public Task<GenerationResult> GenerateAsync(LlamaSession session, IReadOnlyList<int> promptTokens, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => RunToEndAsync(OnSession(session, promptTokens, options), cancellationToken);

    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/> in a fresh session, as a stream of updates: each brings the
    /// text that became final and the tokens drawn since the previous one; the last carries the
    /// <see cref="GenerationResult"/> (<see cref="GenerationUpdate.IsFinal"/>). Each enumeration is a new generation;
    /// stopping the enumeration early stops it (and frees the session).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt encodes to no tokens (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The prompt alone does not fit the context (thrown at once).</exception>
    /// <exception cref="OperationCanceledException">The token given here or to <c>WithCancellation</c> was cancelled
    /// (thrown by the enumeration).</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => Stream(InFreshSession(prompt, options), cancellationToken);

    /// <summary>As <see cref="GenerateStreamingAsync(string, GenerationOptions?, CancellationToken)"/>, from prompt tokens used as given.</summary>
    /// <exception cref="ArgumentException">No prompt tokens (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the context (thrown at once).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (thrown by the enumeration).</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => Stream(InFreshSession(promptTokens, options), cancellationToken);

    /// <summary>As <see cref="GenerateStreamingAsync(string, GenerationOptions?, CancellationToken)"/>, on the caller's
    /// <paramref name="session"/>, reusing the prefix it already holds (see the remarks). Stopping the enumeration early
    /// leaves the session holding what was run.</summary>
    /// <exception cref="ArgumentException">No prompt tokens, or the session belongs to another model (thrown at once).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the session (thrown at once).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (thrown by the enumeration).</exception>
    public IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(LlamaSession session, IReadOnlyList<int> promptTokens, GenerationOptions? options = null, CancellationToken cancellationToken = default)
        => Stream(OnSession(session, promptTokens, options), cancellationToken);

    private GenerationRequest InFreshSession(string prompt, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        int[] tokens = [.. _model.Tokenizer.Encode(prompt, addBos: true)];
        if (tokens.Length == 0)
            throw new ArgumentException("The prompt encodes to no tokens; give some text (this tokenizer adds no BOS).", nameof(prompt));
        return GenerationRequest.InFreshSession(_model, tokens, options, nameof(prompt));
    }

    private GenerationRequest InFreshSession(IReadOnlyList<int> promptTokens, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        return GenerationRequest.InFreshSession(_model, [.. promptTokens], options, nameof(promptTokens));
    }

    private GenerationRequest OnSession(LlamaSession session, IReadOnlyList<int> promptTokens, GenerationOptions? options)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        return GenerationRequest.OnSession(_model, session, [.. promptTokens], options, nameof(promptTokens));
    }

    /// <summary>The blocking form: every step on the calling thread.</summary>
    private static GenerationResult RunToEnd(GenerationRequest request, Action<string>? onText, CancellationToken cancellationToken)
    {
        using var run = new GenerationRun(request);
        run.Start(cancellationToken);
        while (true)
        {
            GenerationUpdate update = run.Next(cancellationToken)!; // the final update comes before null
            if (update.Text.Length > 0)
                onText?.Invoke(update.Text);
            if (update.IsFinal)
                return update.Result;
        }
    }

    private static Task<GenerationResult> RunToEndAsync(GenerationRequest request, CancellationToken cancellationToken)
        => Task.Run(() => RunToEnd(request, onText: null, cancellationToken), cancellationToken);

    /// <summary>The streaming form: each step (at most one forward pass) on the thread pool, one at a time, so the session
    /// is never touched after the enumeration ends.</summary>
    private static async IAsyncEnumerable<GenerationUpdate> Stream(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var run = new GenerationRun(request);
        await Task.Run(() => run.Start(cancellationToken), cancellationToken).ConfigureAwait(false);
        while (await Task.Run(() => run.Next(cancellationToken), cancellationToken).ConfigureAwait(false) is { } update)
            yield return update;
    }
}
