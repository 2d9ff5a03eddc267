using GqaGen.Server.Protocol;

namespace GqaGen.Server.Endpoints;

/// <summary>How a generation ended, as sent to the client.</summary>
/// <param name="FinishReason">OpenAI's <c>finish_reason</c>.</param>
/// <param name="Usage">Token counts.</param>
internal sealed record GenerationOutcome(string FinishReason, UsageDto Usage);
