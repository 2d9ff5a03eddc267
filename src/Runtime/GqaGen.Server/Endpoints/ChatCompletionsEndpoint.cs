using System.Diagnostics;
using System.Text.Json;
using GqaGen.Server.Hosting;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the request becomes <see cref="ChatMessage"/>s and <see cref="ChatOptions"/> for the
/// model's <see cref="IChatClient"/>; its <see cref="ChatResponse"/> (or its updates, streamed) becomes OpenAI's
/// <c>chat.completion</c> (or <c>chat.completion.chunk</c> events).
/// </summary>
internal sealed class ChatCompletionsEndpoint(ServerState state)
{
    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        using JsonDocument body = await RequestJson.ReadObjectAsync(context.Request, context.RequestAborted);
        var request = ChatCompletionRequest.Read(body.RootElement, state.Model.ContextLength);
        GenerationParameters parameters = request.Parameters;
        parameters.EnsureServes(state.Model.Id, state.Options.AcceptAnyModelName);
        ChatOptions options = parameters.ToChatOptions(state.Model.Id);
        string id = CompletionIds.New("chatcmpl-");
        long created = state.Time.GetUtcNow().ToUnixTimeSeconds();
        IChatClient client = state.Model.ChatClient;

        long queuedAt = Stopwatch.GetTimestamp();
        using ModelQueue.Turn turn = await state.EnterQueueAsync(context);
        long startedAt = Stopwatch.GetTimestamp();
        try
        {
            GenerationOutcome outcome;
            if (parameters.Stream)
            {
                outcome = await StreamedGeneration.StreamAsync(context,
                    () => StreamedGeneration.FromChat(client.GetStreamingResponseAsync(request.Messages, options, context.RequestAborted)),
                    new ChatChunkFormat(id, created, state.Model.Id), parameters.IncludeUsage, state);
            }
            else
            {
                ChatResponse response;
                try
                {
                    response = await client.GetResponseAsync(request.Messages, options, context.RequestAborted);
                }
                catch (ArgumentException exception)
                {
                    throw InvalidRequestException.RejectedByModel(exception);
                }
                turn.Dispose();
                outcome = new GenerationOutcome(WireMapping.FinishReason(response.FinishReason), WireMapping.Usage(response.Usage));
                var completion = new ChatCompletion(id, created, state.Model.Id,
                    [new ChatCompletionChoice(0, new ChatCompletionMessage("assistant", response.Text), outcome.FinishReason)],
                    outcome.Usage);
                await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, completion,
                    ServerJsonContext.Relaxed.ChatCompletion, context.RequestAborted);
            }
            state.LogCompleted(context, outcome, queuedAt, startedAt, parameters.Stream);
        }
        catch (Exception exception) when (state.LogIfClientGone(context, exception))
        {
            throw;
        }
    }

    /// <summary>OpenAI's chunks: a first with the role, then one per piece of text, an empty delta with the finish
    /// reason, and the usage chunk with no choices.</summary>
    private sealed class ChatChunkFormat(string id, long created, string model) : IChunkFormat
    {
        public IEnumerable<byte[]> Opening() => [Serialize(new ChatCompletionDelta(Role: "assistant", Content: ""), null)];

        public byte[] Text(string text) => Serialize(new ChatCompletionDelta(Content: text), null);

        public byte[] Finish(string finishReason) => Serialize(new ChatCompletionDelta(), finishReason);

        public byte[] Usage(UsageDto usage) =>
            JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionChunk(id, created, model, [], usage), ServerJsonContext.Relaxed.ChatCompletionChunk);

        private byte[] Serialize(ChatCompletionDelta delta, string? finishReason) =>
            JsonSerializer.SerializeToUtf8Bytes(
                new ChatCompletionChunk(id, created, model, [new ChatCompletionChunkChoice(0, delta, finishReason)]),
                ServerJsonContext.Relaxed.ChatCompletionChunk);
    }
}
