using Microsoft.Extensions.AI;

namespace GqaGen.Server;

/// <summary>One piece of a raw-prompt completion (<see cref="IServedModel.CompleteStreamingAsync"/>).</summary>
/// <param name="Text">Text generated since the previous update; may be empty (e.g. in the last update).</param>
/// <param name="FinishReason">Why generation ended, on the last update (<see cref="ChatFinishReason.Stop"/>: an end
/// token or a stop sequence; <see cref="ChatFinishReason.Length"/>: the token limit or a full context); null before.</param>
/// <param name="Usage">Token counts of the whole request (<see cref="UsageDetails.InputTokenCount"/> for the prompt,
/// <see cref="UsageDetails.OutputTokenCount"/> for the completion), on the last update; null before.</param>
public sealed record TextCompletionUpdate(string Text, ChatFinishReason? FinishReason = null, UsageDetails? Usage = null);
