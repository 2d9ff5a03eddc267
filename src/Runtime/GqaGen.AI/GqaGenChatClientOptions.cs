namespace GqaGen.AI;

/// <summary>How a <see cref="GqaGenChatClient"/> runs its model.</summary>
public sealed record GqaGenChatClientOptions
{
    /// <summary>The model id reported in responses and <see cref="Microsoft.Extensions.AI.ChatClientMetadata"/>;
    /// null (default) takes the GGUF's <c>general.name</c>, else "gqagen".</summary>
    public string? ModelId { get; init; }

    /// <summary>The chat template: null (default) uses the model's own <c>tokenizer.chat_template</c>; otherwise the
    /// text of a template (as llama-server's <c>--chat-template-file</c> reads it) or one of
    /// <see cref="GqaGen.Llama.Chat.ChatTemplate.Names"/> ("chatml", "llama3", …).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>KV-cache positions of the client's conversation session; 0 (default) means the model's trained
    /// context length, at most <see cref="DefaultContextCap"/> (so a 128k-context model does not reserve its whole
    /// cache up front). A request whose prompt and output do not fit is refused with an <see cref="ArgumentException"/>.</summary>
    public int ContextLength
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ContextLength), value, "ContextLength must be ≥ 0 (0 = the model's, at most 8,192).");
    }

    /// <summary>Output tokens when a request's <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/> is
    /// not set; 0 (default) means until the end of the context.</summary>
    public int DefaultMaxOutputTokens
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(DefaultMaxOutputTokens), value, "DefaultMaxOutputTokens must be ≥ 0 (0 = until the context is full).");
    }

    /// <summary>Whether disposing the client disposes the model it was given (true when the client loaded it).</summary>
    public bool OwnsModel { get; init; }

    /// <summary>The context cap used when <see cref="ContextLength"/> is 0.</summary>
    public const int DefaultContextCap = 8192;
}
