using System.Globalization;
using GqaGen.Llama;
using Microsoft.Extensions.AI;

namespace GqaGen.AI;

/// <summary>Microsoft.Extensions.AI's <see cref="ChatOptions"/> → GqaGen's <see cref="GenerationOptions"/>, and the
/// outcome back (finish reason, usage).</summary>
internal static class ChatOptionsMapping
{
    // llama.cpp's common_params_sampling defaults (common/common.h), used when a request leaves an option unset, so
    // that a model samples here as it does under llama-server.
    private const float DefaultTemperature = 0.8f;
    private const int DefaultTopK = 40;
    private const float DefaultTopP = 0.95f;
    private const float DefaultMinP = 0.05f;

    /// <summary>The generation options of one request.</summary>
    /// <exception cref="ArgumentException">The prompt leaves no room in the context, or an option is out of range
    /// (the message names it).</exception>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, GqaGenChatClientOptions client, int promptTokens, int contextLength)
    {
        if (promptTokens >= contextLength)
            throw new ArgumentException(
                $"The prompt is {promptTokens:N0} tokens; the context holds {contextLength:N0} positions, and at least one must be left for the reply. " +
                "Shorten the conversation or raise GqaGenChatClientOptions.ContextLength.", "messages");
        int room = contextLength - promptTokens;

        int maxTokens = options?.MaxOutputTokens ?? (client.DefaultMaxOutputTokens > 0 ? client.DefaultMaxOutputTokens : room);
        if (maxTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(ChatOptions.MaxOutputTokens), maxTokens, "MaxOutputTokens must be at least 1.");

        try
        {
            var sampling = new SamplingOptions
            {
                Temperature = options?.Temperature ?? DefaultTemperature,
                TopK = options?.TopK ?? DefaultTopK,
                TopP = options?.TopP ?? DefaultTopP,
                MinP = Additional(options, "min_p") ?? DefaultMinP,
                RepetitionPenalty = Additional(options, "repeat_penalty") ?? 1f,
                // Without a seed each request draws differently, as a chat service does; a seed repeats a draw.
                Seed = options?.Seed is long seed ? unchecked((int)seed ^ (int)(seed >> 32)) : Random.Shared.Next(),
            };
            return new GenerationOptions
            {
                MaxTokens = Math.Min(maxTokens, room),
                Sampling = sampling,
                StopSequences = options?.StopSequences?.ToArray() ?? [],
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            // SamplingOptions names its own member (TopP, MinP…); say which ChatOptions member carried it.
            throw new ArgumentOutOfRangeException(e.ParamName, e.ActualValue, $"ChatOptions: {e.Message}");
        }
    }

    /// <summary>Why a generation ended, in Microsoft.Extensions.AI's terms: an end token or a stop sequence is
    /// <see cref="ChatFinishReason.Stop"/>; the token limit or a full context is <see cref="ChatFinishReason.Length"/>.</summary>
    public static ChatFinishReason FinishReason(StopReason reason) => reason switch
    {
        StopReason.EndOfSequence or StopReason.StopSequence => ChatFinishReason.Stop,
        _ => ChatFinishReason.Length,
    };

    /// <summary>Token counts of one request: the whole prompt as input, of which <c>CachedInputTokenCount</c> came from
    /// the cache of the previous turn.</summary>
    public static UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens.Count,
        CachedInputTokenCount = result.PromptTokens.Count - result.PromptTokensEvaluated,
        OutputTokenCount = result.GeneratedTokens.Count,
        TotalTokenCount = result.PromptTokens.Count + result.GeneratedTokens.Count,
    };

    private static float? Additional(ChatOptions? options, string key)
    {
        if (options?.AdditionalProperties is null || !options.AdditionalProperties.TryGetValue(key, out object? value) || value is null)
            return null;
        return value switch
        {
            float f => f,
            double d => (float)d,
            int i => i,
            long l => l,
            decimal m => (float)m,
            string s when float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) => parsed,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } json => json.GetSingle(),
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] is {value} ({value.GetType().Name}); give a number.", key),
        };
    }
}
