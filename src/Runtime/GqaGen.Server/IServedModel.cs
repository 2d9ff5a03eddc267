using Microsoft.Extensions.AI;

namespace GqaGen.Server;

/// <summary>
/// The one model a <see cref="GqaGenServer"/> serves: what the HTTP layer needs from it, and nothing about how it runs.
/// </summary>
/// <remarks>
/// <para>
/// The server calls <see cref="ChatClient"/> and <see cref="CompleteStreamingAsync"/> one request at a time (requests
/// queue for the model, first in first out), so an implementation needs no locking of its own for them.
/// <see cref="ApplyTemplate"/> is not queued (it generates nothing) and may run while a generation does.
/// </para>
/// <para>
/// Error contract, for every member: input the model side finds invalid (a role its chat template does not know, a
/// prompt longer than the context, an option out of range) is thrown as <see cref="ArgumentException"/> (or a subclass)
/// whose message says what is wrong; the server answers 400 with that message, and with
/// <see cref="ArgumentException.ParamName"/> as the error's <c>param</c>. A call is cancelled through its
/// <see cref="CancellationToken"/> when the client goes away (<see cref="OperationCanceledException"/>). Any other
/// exception is a server error (500) and is logged.
/// </para>
/// <para>
/// Options arrive as <see cref="ChatOptions"/> on both paths, with only these members set: <see cref="ChatOptions.ModelId"/>,
/// <see cref="ChatOptions.MaxOutputTokens"/> (null: until an end token or the context is full),
/// <see cref="ChatOptions.Temperature"/> (0–2), <see cref="ChatOptions.TopP"/> (0–1, above 0),
/// <see cref="ChatOptions.TopK"/> (≥ 0, 0 = off), <see cref="ChatOptions.Seed"/> and
/// <see cref="ChatOptions.StopSequences"/> (non-empty strings; generation ends before the first one and the text
/// excludes it, as OpenAI's <c>stop</c>). A null member means the model's default.
/// </para>
/// </remarks>
public interface IServedModel
{
    /// <summary>The model's id: listed by <c>/v1/models</c>, echoed in every response, and the value a request's
    /// <c>model</c> field must have (unless <see cref="GqaGenServerOptions.AcceptAnyModelName"/>).</summary>
    string Id { get; }

    /// <summary>Tokens the model's context holds; the server rejects a <c>max_tokens</c> above it.</summary>
    int ContextLength { get; }

    /// <summary>Chat completions (<c>/v1/chat/completions</c>): the messages are system, user and assistant messages
    /// of text. Responses should carry <see cref="ChatResponse.FinishReason"/> (<see cref="ChatFinishReason.Stop"/> or
    /// <see cref="ChatFinishReason.Length"/>) and <see cref="ChatResponse.Usage"/>; streamed, the last update carries
    /// the finish reason and a <see cref="UsageContent"/>.</summary>
    IChatClient ChatClient { get; }

    /// <summary>
    /// Continues a raw prompt (<c>/v1/completions</c>), no chat template applied: the text in pieces as it is
    /// generated, the last update carrying <see cref="TextCompletionUpdate.FinishReason"/> and
    /// <see cref="TextCompletionUpdate.Usage"/>.
    /// </summary>
    /// <param name="prompt">The text to continue, as the client sent it.</param>
    /// <param name="options">Sampling and length options (see the remarks on <see cref="IServedModel"/>).</param>
    /// <param name="cancellationToken">Cancelled when the client goes away.</param>
    IAsyncEnumerable<TextCompletionUpdate> CompleteStreamingAsync(string prompt, ChatOptions options, CancellationToken cancellationToken);

    /// <summary>The prompt the model's chat template makes of <paramref name="messages"/>, ready for generation (the
    /// assistant's turn opened), as <c>/apply-template</c> returns it.</summary>
    /// <exception cref="ArgumentException">The template cannot format these messages (e.g. a role it does not know).</exception>
    string ApplyTemplate(IReadOnlyList<ChatMessage> messages);
}
