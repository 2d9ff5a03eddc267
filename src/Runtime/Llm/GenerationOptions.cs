namespace GqaGen.Llm;

/// <summary>What <see cref="TextGenerator.Generate"/> does.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate after the prompt (default 64).</summary>
    public int MaxTokens
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxTokens must be ≥ 0.");
    } = 64;

    /// <summary>How tokens are drawn (greedy by default).</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>KV cache positions to allocate; 0 (default) means prompt + <see cref="MaxTokens"/>, capped at the model's context length.</summary>
    public int ContextLength
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "ContextLength must be ≥ 0 (0 = just enough).");
    }

    /// <summary>Whether to stop at an end-of-generation token (EOS, Llama 3's &lt;|eot_id|&gt;). Default true.</summary>
    public bool StopAtEndOfSequence { get; init; } = true;
}
