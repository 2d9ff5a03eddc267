using System.Text.Json;

namespace GqaGen.Server.Protocol;

/// <summary>A checked <c>POST /v1/completions</c> request.</summary>
/// <param name="Prompt">The text to continue, as sent (no chat template).</param>
/// <param name="Parameters">Model name, sampling, length and streaming options.</param>
internal sealed record TextCompletionRequest(string Prompt, GenerationParameters Parameters)
{
    /// <summary>Reads and checks <paramref name="body"/>.</summary>
    /// <exception cref="InvalidRequestException">A member is missing, of the wrong type or out of range.</exception>
    public static TextCompletionRequest Read(JsonElement body, int contextLength)
    {
        var parameters = GenerationParameters.Read(body, contextLength);
        if (!RequestJson.TryGetMember(body, "prompt", out JsonElement prompt))
            throw RequestJson.Missing("prompt", "\"prompt\": \"Once upon a time\"");
        if (prompt.ValueKind != JsonValueKind.String)
            throw RequestJson.WrongType("prompt", "a string (batches of prompts and token arrays are not supported)", prompt);
        return new TextCompletionRequest(RequestJson.GetString(prompt, "prompt"), parameters);
    }
}
