using System.Text.Json;
using GqaGen.Server.Hosting;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Endpoints;

/// <summary>The chunks of one streamed answer, in the endpoint's JSON shape, serialized.</summary>
internal interface IChunkFormat
{
    /// <summary>Chunks sent before any text (the chat stream's role chunk), once the model has accepted the input.</summary>
    IEnumerable<byte[]> Opening();

    /// <summary>A chunk carrying <paramref name="text"/>.</summary>
    byte[] Text(string text);

    /// <summary>The last chunk of the choice, carrying its finish reason.</summary>
    byte[] Finish(string finishReason);

    /// <summary>The usage chunk (no choices), sent when the client asked for it.</summary>
    byte[] Usage(UsageDto usage);
}

/// <summary>
/// Runs a model's updates out to the client: as server-sent events (<see cref="StreamAsync"/>) or gathered into one
/// answer (<see cref="CollectAsync"/>). Both turn the model's <see cref="ArgumentException"/> into a 400.
/// </summary>
internal static class StreamedGeneration
{
    /// <summary>
    /// Streams the updates of <paramref name="start"/> as events in <paramref name="format"/>: opening chunks, a chunk per piece of
    /// text, the finish chunk, the usage chunk if <paramref name="includeUsage"/>, then <c>[DONE]</c>. The first update
    /// is awaited before the response starts, so input the model rejects (a prompt longer than the context) still gets
    /// a 400 and not a stream. A failure after the stream started is sent as an error event
    /// (<c>data: {"error": …}</c>) in place of <c>[DONE]</c>.
    /// </summary>
    public static async Task<GenerationOutcome> StreamAsync(
        HttpContext context, Func<IAsyncEnumerable<TextCompletionUpdate>> start, IChunkFormat format, bool includeUsage, ServerState state)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        await using IAsyncEnumerator<TextCompletionUpdate> enumerator = Start(start, cancellationToken);
        bool more = await MoveNextAsync(enumerator);

        var events = new ServerSentEvents(context.Response);
        await events.StartAsync(cancellationToken);
        foreach (byte[] chunk in format.Opening())
            await events.WriteAsync(chunk, cancellationToken);

        ChatFinishReason? finishReason = null;
        UsageDetails? usage = null;
        try
        {
            while (more)
            {
                TextCompletionUpdate update = enumerator.Current;
                if (update.Text.Length > 0)
                    await events.WriteAsync(format.Text(update.Text), cancellationToken);
                finishReason = update.FinishReason ?? finishReason;
                usage = update.Usage ?? usage;
                more = await MoveNextAsync(enumerator);
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The status line is sent: the error can only travel in the stream, as OpenAI sends one.
            ServerLog.StreamFailed(state.Logger, exception, context.Request.Path, exception.Message);
            ApiErrorResponse error = exception is InvalidRequestException invalid ? invalid.ToResponse()
                : new ApiErrorResponse(new ApiError($"The generation failed ({exception.GetType().Name}: {exception.Message}).",
                    ApiError.ServerErrorType, null, null));
            await events.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(error, ServerJsonContext.Relaxed.ApiErrorResponse), cancellationToken);
            return new GenerationOutcome("error", WireMapping.Usage(usage));
        }

        var outcome = new GenerationOutcome(WireMapping.FinishReason(finishReason), WireMapping.Usage(usage));
        await events.WriteAsync(format.Finish(outcome.FinishReason), cancellationToken);
        if (includeUsage)
            await events.WriteAsync(format.Usage(outcome.Usage), cancellationToken);
        await events.WriteDoneAsync(cancellationToken);
        return outcome;
    }

    /// <summary>Gathers the updates of <paramref name="start"/> into the whole text and how it ended.</summary>
    public static async Task<(string Text, GenerationOutcome Outcome)> CollectAsync(
        Func<IAsyncEnumerable<TextCompletionUpdate>> start, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finishReason = null;
        UsageDetails? usage = null;
        await using IAsyncEnumerator<TextCompletionUpdate> enumerator = Start(start, cancellationToken);
        while (await MoveNextAsync(enumerator))
        {
            TextCompletionUpdate update = enumerator.Current;
            text.Append(update.Text);
            finishReason = update.FinishReason ?? finishReason;
            usage = update.Usage ?? usage;
        }
        return (text.ToString(), new GenerationOutcome(WireMapping.FinishReason(finishReason), WireMapping.Usage(usage)));
    }

    /// <summary>A chat client's updates as text updates: the text, the finish reason, and the usage content if any.</summary>
    public static async IAsyncEnumerable<TextCompletionUpdate> FromChat(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        await foreach (ChatResponseUpdate update in updates)
        {
            UsageDetails? usage = null;
            foreach (AIContent content in update.Contents)
            {
                if (content is UsageContent usageContent)
                    usage = usageContent.Details;
            }
            yield return new TextCompletionUpdate(update.Text, update.FinishReason, usage);
        }
    }

    // The model is called inside the try, so an ArgumentException thrown by the call itself (not only by the
    // enumeration) is a 400 too.
    private static IAsyncEnumerator<TextCompletionUpdate> Start(Func<IAsyncEnumerable<TextCompletionUpdate>> start, CancellationToken cancellationToken)
    {
        try
        {
            return start().GetAsyncEnumerator(cancellationToken);
        }
        catch (ArgumentException exception)
        {
            throw InvalidRequestException.RejectedByModel(exception);
        }
    }

    private static async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<TextCompletionUpdate> enumerator)
    {
        try
        {
            return await enumerator.MoveNextAsync();
        }
        catch (ArgumentException exception)
        {
            throw InvalidRequestException.RejectedByModel(exception);
        }
    }
}
