namespace GqaGen.Llama;

/// <summary>What <see cref="TextGenerator.Generate"/> does.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate after the prompt (default 64).</summary>
    public int MaxTokens
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxTokens), value, "MaxTokens must be ≥ 0.");
    } = 64;

    /// <summary>How tokens are drawn (greedy by default).</summary>
    public SamplingOptions Sampling
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Sampling));
    } = SamplingOptions.Greedy;

    /// <summary>KV cache positions to allocate; 0 (default) means just enough: prompt + <see cref="MaxTokens"/>,
    /// at most the model's context length unless the prompt alone is longer.</summary>
    public int ContextLength
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ContextLength), value, "ContextLength must be ≥ 0 (0 = just enough).");
    }

    /// <summary>Whether to stop at an end-of-generation token (EOS, Llama 3's &lt;|eot_id|&gt;). Default true.</summary>
    public bool StopAtEndOfSequence { get; init; } = true;
}
