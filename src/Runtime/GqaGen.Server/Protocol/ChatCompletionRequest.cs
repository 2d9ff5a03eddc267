using System.Text.Json;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Protocol;

/// <summary>A checked <c>POST /v1/chat/completions</c> request.</summary>
/// <param name="Messages">The conversation.</param>
/// <param name="Parameters">Model name, sampling, length and streaming options.</param>
internal sealed record ChatCompletionRequest(List<ChatMessage> Messages, GenerationParameters Parameters)
{
    /// <summary>Reads and checks <paramref name="body"/>.</summary>
    /// <exception cref="InvalidRequestException">A member is missing, of the wrong type or out of range.</exception>
    public static ChatCompletionRequest Read(JsonElement body, int contextLength)
    {
        var parameters = GenerationParameters.Read(body, contextLength);
        return new ChatCompletionRequest(ChatMessagesReader.Read(body), parameters);
    }
}
