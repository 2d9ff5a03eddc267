using System.Diagnostics;
using System.Text.Json;
using GqaGen.Server.Hosting;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c>, OpenAI's legacy text completion: the prompt goes to
/// <see cref="IServedModel.CompleteStreamingAsync"/> as sent (no chat template), and comes back as a
/// <c>text_completion</c> object, whole or streamed piece by piece.
/// </summary>
internal sealed class CompletionsEndpoint(ServerState state)
{
    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        using JsonDocument body = await RequestJson.ReadObjectAsync(context.Request, context.RequestAborted);
        var request = TextCompletionRequest.Read(body.RootElement, state.Model.ContextLength);
        GenerationParameters parameters = request.Parameters;
        parameters.EnsureServes(state.Model.Id, state.Options.AcceptAnyModelName);
        ChatOptions options = parameters.ToChatOptions(state.Model.Id);
        string id = CompletionIds.New("cmpl-");
        long created = state.Time.GetUtcNow().ToUnixTimeSeconds();
        IServedModel model = state.Model;

        long queuedAt = Stopwatch.GetTimestamp();
        using ModelQueue.Turn turn = await state.EnterQueueAsync(context);
        long startedAt = Stopwatch.GetTimestamp();
        try
        {
            GenerationOutcome outcome;
            if (parameters.Stream)
            {
                outcome = await StreamedGeneration.StreamAsync(context,
                    () => model.CompleteStreamingAsync(request.Prompt, options, context.RequestAborted),
                    new TextChunkFormat(id, created, model.Id), parameters.IncludeUsage, state);
            }
            else
            {
                (string text, outcome) = await StreamedGeneration.CollectAsync(
                    () => model.CompleteStreamingAsync(request.Prompt, options, context.RequestAborted), context.RequestAborted);
                turn.Dispose();
                var completion = new TextCompletion(id, created, model.Id, [new TextCompletionChoice(text, 0, outcome.FinishReason)], outcome.Usage);
                await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, completion,
                    ServerJsonContext.Relaxed.TextCompletion, context.RequestAborted);
            }
            state.LogCompleted(context, outcome, queuedAt, startedAt, parameters.Stream);
        }
        catch (Exception exception) when (state.LogIfClientGone(context, exception))
        {
            throw;
        }
    }

    /// <summary>OpenAI's streamed text completion: the same object per piece of text, the last with an empty text and
    /// the finish reason, and the usage chunk with no choices.</summary>
    private sealed class TextChunkFormat(string id, long created, string model) : IChunkFormat
    {
        public IEnumerable<byte[]> Opening() => [];

        public byte[] Text(string text) => Serialize([new TextCompletionChoice(text, 0, null)], null);

        public byte[] Finish(string finishReason) => Serialize([new TextCompletionChoice("", 0, finishReason)], null);

        public byte[] Usage(UsageDto usage) => Serialize([], usage);

        private byte[] Serialize(TextCompletionChoice[] choices, UsageDto? usage) =>
            JsonSerializer.SerializeToUtf8Bytes(new TextCompletion(id, created, model, choices, usage), ServerJsonContext.Relaxed.TextCompletion);
    }
}
