namespace GqaGen.Server.Protocol;

/// <summary>OpenAI's <c>usage</c> object.</summary>
/// <param name="PromptTokens">Tokens of the prompt (after the chat template).</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="TotalTokens">Their sum.</param>
internal sealed record UsageDto(long PromptTokens, long CompletionTokens, long TotalTokens);
