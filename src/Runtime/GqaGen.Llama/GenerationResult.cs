namespace GqaGen.Llama;

/// <summary>Why generation ended. (A cancelled generation does not end with a reason: it throws
/// <see cref="OperationCanceledException"/>.)</summary>
public enum StopReason
{
    /// <summary>The model produced an end-of-generation token (EOS, or another the tokenizer marks as ending a turn, such
    /// as Llama 3's &lt;|eot_id|&gt;), and <see cref="GenerationOptions.StopAtEndOfSequence"/> was on. The end token is
    /// not part of the tokens or the text.</summary>
    EndOfSequence,

    /// <summary><see cref="GenerationOptions.MaxTokens"/> tokens were generated (0 included: the prompt was only run).</summary>
    MaxTokens,

    /// <summary>The KV cache (the context) is full: the last token generated could not be run to get another. That
    /// token is part of the result.</summary>
    ContextFull,

    /// <summary>The generated text contains one of <see cref="GenerationOptions.StopSequences"/>. The text ends just
    /// before it; the tokens that produced it are part of <see cref="GenerationResult.GeneratedTokens"/>.</summary>
    StopSequence,
}

/// <summary>The outcome of one <see cref="TextGenerator"/> generation, with its usage and timings.</summary>
/// <param name="PromptTokens">The prompt as tokens (with BOS when the tokenizer adds it), all of it, including the
/// prefix a caller's session already held (see <see cref="PromptTokensEvaluated"/>).</param>
/// <param name="GeneratedTokens">The tokens generated after the prompt: every token drawn, those that produced a stop
/// sequence included; an end token that stopped generation excluded.</param>
/// <param name="Text">The generated text (without a stop sequence or what followed it).</param>
/// <param name="StopReason">Why generation ended.</param>
/// <param name="PrefillTime">Time to run the prompt (up to the first generated token's logits); with prefix reuse,
/// only the evaluated part.</param>
/// <param name="DecodeTime">Time to generate the rest, token by token (the generator's own work: time a streaming
/// consumer spends between updates is not counted).</param>
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
    /// <summary>How many prompt tokens were run through the model: all of them in a fresh session; on a caller's
    /// session, those after the prefix it already held (at least one, for the logits of the first generated token).</summary>
    public int PromptTokensEvaluated { get; init; }

    /// <summary>Prompt tokens whose keys and values a caller's session already held, so they were not run again
    /// (OpenAI's <c>cached_tokens</c>).</summary>
    public int PromptTokensReused => PromptTokens.Count - PromptTokensEvaluated;

    /// <summary>Evaluated prompt tokens per second of prefill.</summary>
    public double PrefillTokensPerSecond => PromptTokensEvaluated / Math.Max(PrefillTime.TotalSeconds, 1e-9);

    /// <summary>Generated tokens per second of decode (the first generated token comes from the prefill's logits,
    /// so decode runs GeneratedTokens − 1 forward passes, plus one more if generation went on past the last kept token).</summary>
    public double DecodeTokensPerSecond => DecodeSteps / Math.Max(DecodeTime.TotalSeconds, 1e-9);

    /// <summary>Forward passes run during decode.</summary>
    public int DecodeSteps { get; init; }

    /// <summary>Tokens cut from the front of the prompt to fit the context (only with
    /// <see cref="GenerationOptions.TruncatePromptFromLeft"/>); <see cref="PromptTokens"/> is what remained.</summary>
    public int PromptTokensDropped { get; init; }
}
