using System.Text.Json.Serialization;

namespace GqaGen.Server.Protocol;

// The response shape of OpenAI's legacy POST /v1/completions (API reference: "The completion object"); a streamed
// completion sends the same object once per piece of text.

/// <summary>A text completion, whole or one streamed piece (<c>"object": "text_completion"</c>).</summary>
/// <param name="Id">The completion's id, <c>cmpl-…</c>, the same in every streamed piece.</param>
/// <param name="Created">Unix seconds when the request was accepted.</param>
/// <param name="Model">The served model's id.</param>
/// <param name="Choices">The one choice; empty in a streamed usage chunk.</param>
/// <param name="Usage">Token counts: always when not streamed, in the usage chunk when streamed.</param>
internal sealed record TextCompletion(
    string Id, long Created, string Model, IReadOnlyList<TextCompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UsageDto? Usage = null)
{
    /// <summary>The object type.</summary>
    [JsonPropertyOrder(-1)]
    public string Object => "text_completion";
}

/// <summary>The choice of a <see cref="TextCompletion"/>.</summary>
/// <param name="Text">The generated text (streamed: the text since the previous piece).</param>
/// <param name="Index">0.</param>
/// <param name="FinishReason"><c>stop</c> or <c>length</c>; null in streamed pieces before the last.</param>
internal sealed record TextCompletionChoice(string Text, int Index, string? FinishReason)
{
    /// <summary>Always null: log probabilities are not reported.</summary>
    public object? Logprobs => null;
}
