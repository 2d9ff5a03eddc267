using Microsoft.Extensions.AI;

namespace GqaGen.Server.Protocol;

/// <summary>Microsoft.Extensions.AI's finish reasons and usage as OpenAI's wire values.</summary>
internal static class WireMapping
{
    /// <summary>OpenAI's <c>finish_reason</c>: <c>stop</c> (an end token or a stop sequence; also when the model
    /// reports none), <c>length</c> (the token limit or a full context), or the model's own value otherwise.</summary>
    public static string FinishReason(ChatFinishReason? reason) =>
        reason is null || reason == ChatFinishReason.Stop ? "stop"
        : reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason.Value.Value;

    /// <summary>OpenAI's <c>usage</c>; a count the model did not report is written as 0, and the total, when not
    /// reported, as the sum.</summary>
    public static UsageDto Usage(UsageDetails? usage)
    {
        long prompt = usage?.InputTokenCount ?? 0;
        long completion = usage?.OutputTokenCount ?? 0;
        return new UsageDto(prompt, completion, usage?.TotalTokenCount ?? prompt + completion);
    }
}
