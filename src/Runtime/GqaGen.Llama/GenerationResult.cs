namespace GqaGen.Llama;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfSequence,

    /// <summary><see cref="GenerationOptions.MaxTokens"/> were generated.</summary>
    MaxTokens,

    /// <summary>The KV cache (the context) is full.</summary>
    ContextFull,
}

/// <summary>The outcome of one <see cref="TextGenerator.Generate"/> call, with its timings.</summary>
/// <param name="PromptTokens">The prompt as tokens (with BOS when the tokenizer adds it).</param>
/// <param name="GeneratedTokens">The tokens generated after the prompt (an end token, if one stopped generation, excluded).</param>
/// <param name="Text">The generated text.</param>
/// <param name="StopReason">Why generation ended.</param>
/// <param name="PrefillTime">Time to run the prompt (up to the first generated token's logits).</param>
/// <param name="DecodeTime">Time to generate the rest, token by token.</param>
/// <param name="AttentionTime">Of both, the time inside the attention kernel (K/V append and decode).</param>
/// <param name="KvCacheBytes">Bytes of the session's KV cache, in its storage type.</param>
/// <param name="MhaKvCacheBytes">What the same cache (same storage type) would need with multi-head attention (G = H).</param>
/// <param name="Kernel">Which attention kernel ran.</param>
public sealed record GenerationResult(
    IReadOnlyList<int> PromptTokens,
    IReadOnlyList<int> GeneratedTokens,
    string Text,
    StopReason StopReason,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    TimeSpan AttentionTime,
    long KvCacheBytes,
    long MhaKvCacheBytes,
    string Kernel)
{
    /// <summary>Prompt tokens per second of prefill.</summary>
    public double PrefillTokensPerSecond => PromptTokens.Count / Math.Max(PrefillTime.TotalSeconds, 1e-9);

    /// <summary>Generated tokens per second of decode (the first generated token comes from the prefill's logits,
    /// so decode runs GeneratedTokens − 1 forward passes, plus one more if generation went on past the last kept token).</summary>
    public double DecodeTokensPerSecond => DecodeSteps / Math.Max(DecodeTime.TotalSeconds, 1e-9);

    /// <summary>Forward passes run during decode.</summary>
    public int DecodeSteps { get; init; }
}
