using System.Text.Json.Serialization;

namespace GqaGen.Server.Protocol;

// The response shapes of OpenAI's POST /v1/chat/completions (API reference: "The chat completion object" and "The chat
// completion chunk object"). Members OpenAI always writes, even as null (finish_reason, logprobs, refusal), are written;
// optional ones (a chunk's usage) are left out when absent.

/// <summary>A non-streamed chat completion (<c>"object": "chat.completion"</c>).</summary>
/// <param name="Id">The completion's id, <c>chatcmpl-…</c>.</param>
/// <param name="Created">Unix seconds when the request was accepted.</param>
/// <param name="Model">The served model's id.</param>
/// <param name="Choices">The one choice.</param>
/// <param name="Usage">Token counts.</param>
internal sealed record ChatCompletion(string Id, long Created, string Model, IReadOnlyList<ChatCompletionChoice> Choices, UsageDto Usage)
{
    /// <summary>The object type.</summary>
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}

/// <summary>A choice of a <see cref="ChatCompletion"/>.</summary>
/// <param name="Index">0: only one choice is generated.</param>
/// <param name="Message">The assistant's message.</param>
/// <param name="FinishReason"><c>stop</c> or <c>length</c>.</param>
internal sealed record ChatCompletionChoice(int Index, ChatCompletionMessage Message, string FinishReason)
{
    /// <summary>Always null: log probabilities are not reported.</summary>
    public object? Logprobs => null;
}

/// <summary>The generated message.</summary>
/// <param name="Role">Always <c>assistant</c>.</param>
/// <param name="Content">The generated text.</param>
internal sealed record ChatCompletionMessage(string Role, string Content)
{
    /// <summary>Always null: the model never refuses through this field.</summary>
    public string? Refusal => null;
}

/// <summary>One server-sent event of a streamed chat completion (<c>"object": "chat.completion.chunk"</c>).</summary>
/// <param name="Id">The completion's id, the same in every chunk.</param>
/// <param name="Created">Unix seconds, the same in every chunk.</param>
/// <param name="Model">The served model's id.</param>
/// <param name="Choices">One choice; empty in the usage chunk.</param>
/// <param name="Usage">Token counts, in the usage chunk only (sent when <c>stream_options.include_usage</c>).</param>
internal sealed record ChatCompletionChunk(
    string Id, long Created, string Model, IReadOnlyList<ChatCompletionChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UsageDto? Usage = null)
{
    /// <summary>The object type.</summary>
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}

/// <summary>The choice of a <see cref="ChatCompletionChunk"/>.</summary>
/// <param name="Index">0.</param>
/// <param name="Delta">What this chunk adds to the message.</param>
/// <param name="FinishReason">Null until the last chunk of the choice.</param>
internal sealed record ChatCompletionChunkChoice(int Index, ChatCompletionDelta Delta, string? FinishReason)
{
    /// <summary>Always null: log probabilities are not reported.</summary>
    public object? Logprobs => null;
}

/// <summary>The part of the message a chunk adds: the role in the first chunk, then text; empty in the last.</summary>
/// <param name="Role"><c>assistant</c> in the first chunk, otherwise absent.</param>
/// <param name="Content">Text generated since the previous chunk, or absent.</param>
internal sealed record ChatCompletionDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content = null);
