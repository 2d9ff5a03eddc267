using System.Runtime.CompilerServices;
using GqaGen.AI;
using Microsoft.Extensions.AI;

namespace GqaGen.Server;

/// <summary>
/// The <see cref="IServedModel"/> of a GqaGen model: chat through its <see cref="GqaGenChatClient"/> (the model's chat
/// template, one conversation cache reused across requests), raw completions on the same client, so both endpoints
/// share one KV cache and one queue.
/// </summary>
public sealed class LlamaServedModel : IServedModel, IDisposable
{
    private readonly GqaGenChatClient _client;
    private readonly bool _ownsClient;

    /// <summary>Serves <paramref name="client"/>'s model; <paramref name="ownsClient"/> says whether disposing this
    /// disposes the client.</summary>
    public LlamaServedModel(GqaGenChatClient client, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
    }

    /// <inheritdoc />
    public string Id => _client.ModelId;

    /// <inheritdoc />
    public int ContextLength => _client.ContextLength;

    /// <inheritdoc />
    public IChatClient ChatClient => _client;

    /// <inheritdoc />
    public async IAsyncEnumerable<TextCompletionUpdate> CompleteStreamingAsync(
        string prompt, ChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (ChatResponseUpdate update in _client.CompleteStreamingAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            UsageDetails? usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
            yield return new TextCompletionUpdate(update.Text, update.FinishReason, usage);
        }
    }

    /// <inheritdoc />
    public string ApplyTemplate(IReadOnlyList<ChatMessage> messages) => _client.FormatPrompt(messages);

    /// <summary>Disposes the client if this owns it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
            _client.Dispose();
    }
}
