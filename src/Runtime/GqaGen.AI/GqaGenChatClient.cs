using System.Runtime.CompilerServices;
using GqaGen.Llama;
using GqaGen.Llama.Chat;
using Microsoft.Extensions.AI;

namespace GqaGen.AI;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over a <see cref="LlamaModel"/>: conversations are formatted
/// with the model's chat template, generated on the CPU with GqaGen's kernels and streamed token by token.
/// </summary>
/// <remarks>
/// <para>
/// One conversation session (KV cache) is kept between requests: a request whose prompt begins with what the cache
/// already holds (the next turn of the same conversation) runs only the new tokens; any other request rewinds to the
/// common prefix. <see cref="UsageDetails.CachedInputTokenCount"/> says how many prompt tokens were reused.
/// </para>
/// <para>
/// Requests run one at a time, in arrival order (a model computes one forward pass at a time on all its threads);
/// concurrent callers wait. Cancelling a request stops it before the next token (or the next prompt chunk) and leaves
/// the client usable.
/// </para>
/// <para>
/// <see cref="ChatOptions"/> honoured: <see cref="ChatOptions.Temperature"/>, <see cref="ChatOptions.TopP"/>,
/// <see cref="ChatOptions.TopK"/>, <see cref="ChatOptions.MaxOutputTokens"/>, <see cref="ChatOptions.StopSequences"/>,
/// <see cref="ChatOptions.Seed"/>, <see cref="ChatOptions.Instructions"/> (joined to the system message), and the
/// llama.cpp-named <see cref="ChatOptions.AdditionalProperties"/> <c>min_p</c> and <c>repeat_penalty</c>. Unset
/// sampling options take llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05); temperature 0 is
/// greedy. Tools, response formats and non-text content are not supported (an <see cref="ArgumentException"/> for
/// non-text content; tool definitions are ignored, as the models here were not trained for them).
/// </para>
/// </remarks>
public sealed class GqaGenChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly GqaGenChatClientOptions _options;
    private readonly TextGenerator _generator;
    private readonly LlamaSession _session;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private bool _disposed;

    /// <summary>A chat client over <paramref name="model"/>, whose chat template is found now (so a model without a
    /// usable template fails here, not at the first request).</summary>
    /// <exception cref="ChatTemplateException">The model carries no chat template and none was given, or nobody
    /// recognises it.</exception>
    public GqaGenChatClient(LlamaModel model, GqaGenChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new GqaGenChatClientOptions();
        Template = ChatTemplate.ForModel(model, _options.ChatTemplate);
        int context = _options.ContextLength > 0
            ? _options.ContextLength
            : (int)Math.Min(model.Config.ContextLength, GqaGenChatClientOptions.DefaultContextCap);
        _session = model.CreateSession(context);
        _generator = new TextGenerator(model);
        Metadata = new ChatClientMetadata("gqagen", providerUri: null, defaultModelId: ModelId);
    }

    /// <summary>Loads the GGUF file at <paramref name="modelPath"/> and returns a client that owns (and disposes) it.</summary>
    public static GqaGenChatClient Load(string modelPath, LlamaModelOptions? modelOptions = null, GqaGenChatClientOptions? options = null)
    {
        LlamaModel model = LlamaModel.Load(modelPath, modelOptions);
        try
        {
            return new GqaGenChatClient(model, (options ?? new GqaGenChatClientOptions()) with { OwnsModel = true });
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model this client runs.</summary>
    public LlamaModel Model => _model;

    /// <summary>The chat template conversations are formatted with.</summary>
    public ChatTemplate Template { get; }

    /// <summary>The id reported in responses: <see cref="GqaGenChatClientOptions.ModelId"/>, else the GGUF's name.</summary>
    public string ModelId => _options.ModelId ?? _model.Name ?? "gqagen";

    /// <summary>Positions of the conversation's KV cache: prompt and output of one request must fit.</summary>
    public int ContextLength => _session.ContextLength;

    /// <summary>Provider "gqagen" and <see cref="ModelId"/>.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>The prompt text <paramref name="messages"/> make with this client's template (assistant turn opened).</summary>
    public string FormatPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options = null) =>
        Template.Format(ChatTurnConversion.ToTurns(messages, options?.Instructions), addGenerationPrompt: true).Text;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Everything that can be wrong with the request is found before it queues.
        List<ChatTurn> turns = ChatTurnConversion.ToTurns(messages, options?.Instructions);
        IReadOnlyList<int> prompt = Template.Format(turns, addGenerationPrompt: true).Tokenize(_model.Tokenizer);
        return RunAsync(prompt, options, "chatcmpl-", cancellationToken);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> as raw text, no chat template applied (what OpenAI's <c>/v1/completions</c>
    /// does): BOS first when the model asks for it, control tokens written in the text left as plain text. Queues,
    /// streams, honours <paramref name="options"/> and reuses the cache exactly as a chat request does.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty or leaves no room in the context; an option is out of range.</exception>
    public IAsyncEnumerable<ChatResponseUpdate> CompleteStreamingAsync(string prompt, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ObjectDisposedException.ThrowIf(_disposed, this);
        IReadOnlyList<int> tokens = _model.Tokenizer.Encode(prompt, addBos: true);
        if (tokens.Count == 0)
            throw new ArgumentException("The prompt encodes to no tokens (this model adds no BOS); give some text.", nameof(prompt));
        return RunAsync(tokens, options, "cmpl-", cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> RunAsync(
        IReadOnlyList<int> prompt, ChatOptions? options, string idPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GenerationOptions generation = ChatOptionsMapping.ToGenerationOptions(options, _options, prompt.Count, ContextLength);
        string responseId = idPrefix + Guid.NewGuid().ToString("N");
        DateTimeOffset created = DateTimeOffset.UtcNow;
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await foreach (GenerationUpdate update in _generator.GenerateStreamingAsync(_session, prompt, generation, cancellationToken).ConfigureAwait(false))
            {
                if (update.Text.Length > 0)
                    yield return NewUpdate(update.Text);
                if (update.Result is GenerationResult result)
                {
                    var last = NewUpdate(text: null);
                    last.FinishReason = ChatOptionsMapping.FinishReason(result.StopReason);
                    last.Contents.Add(new UsageContent(ChatOptionsMapping.Usage(result)));
                    yield return last;
                }
            }
        }
        finally
        {
            _turn.Release();
        }

        ChatResponseUpdate NewUpdate(string? text) => new(ChatRole.Assistant, text is null ? [] : [new TextContent(text)])
        {
            ResponseId = responseId,
            MessageId = responseId,
            ModelId = ModelId,
            CreatedAt = created,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return Metadata;
        if (serviceType.IsInstanceOfType(this))
            return this;
        if (serviceType.IsInstanceOfType(_model))
            return _model;
        if (serviceType.IsInstanceOfType(Template))
            return Template;
        return null;
    }

    /// <summary>Frees the conversation's KV cache, and the model if the client owns it.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // A request still running holds the turn: wait for it, so its session is not freed under it.
        _turn.Wait();
        _session.Dispose();
        _turn.Dispose();
        if (_options.OwnsModel)
            _model.Dispose();
    }
}
