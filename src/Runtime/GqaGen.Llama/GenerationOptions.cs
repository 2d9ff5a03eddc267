namespace GqaGen.Llama;

/// <summary>What a <see cref="TextGenerator"/> generation does: how many tokens, how they are drawn, where it stops.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate after the prompt (default 64). With 0 the prompt is only run into the cache
    /// (useful on a caller's session, to have its prefix ready for the next request).</summary>
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

    /// <summary>KV cache positions to allocate for a generation in a fresh session; 0 (default) means just enough:
    /// prompt + <see cref="MaxTokens"/>, at most the model's context length unless the prompt alone is longer. A
    /// generation on a caller's session uses that session's cache and ignores this.</summary>
    public int ContextLength
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ContextLength), value, "ContextLength must be ≥ 0 (0 = just enough).");
    }

    /// <summary>
    /// What to do with a prompt longer than the context (the model's trained context length when
    /// <see cref="ContextLength"/> is 0, else that; a caller's session's positions): false (default) refuses it with an
    /// <see cref="ArgumentOutOfRangeException"/> before any work; true keeps its last tokens (BOS stays first if the
    /// prompt starts with it), leaving room for <see cref="MaxTokens"/> generated tokens but at most half the context,
    /// and reports the cut in <see cref="GenerationResult.PromptTokensDropped"/>.
    /// </summary>
    public bool TruncatePromptFromLeft { get; init; }

    /// <summary>
    /// Receives the prompt's progress after each chunk of <see cref="LlamaSession.PrefillChunk"/> tokens while it runs
    /// (the tokens a reused prefix saves are not counted); null (default) for none. Called synchronously on the thread
    /// that runs the forward passes: a handler that draws a progress bar should be quick.
    /// </summary>
    public IProgress<PrefillProgress>? PromptProgress { get; init; }

    /// <summary>Whether to stop at an end-of-generation token (EOS, Llama 3's &lt;|eot_id|&gt;). Default true.</summary>
    public bool StopAtEndOfSequence { get; init; } = true;

    /// <summary>
    /// Strings that end generation when the generated text contains one (none by default). Matched exactly (ordinal)
    /// on the text, across token boundaries; the first to be complete, reading the text character by character, ends
    /// it (of two completed by the same character, the longer). Neither the stop sequence nor anything generated
    /// after it is part of the text, and text that could be the start of a stop sequence is held back from the stream
    /// until it is known not to be. The result's <see cref="GenerationResult.StopReason"/> is then
    /// <see cref="StopReason.StopSequence"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException">The list is null.</exception>
    /// <exception cref="ArgumentException">An entry is null or empty (named by its index).</exception>
    public IReadOnlyList<string> StopSequences
    {
        get;
        init => field = CheckStopSequences(value);
    } = [];

    private static string[] CheckStopSequences(IReadOnlyList<string> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences, nameof(StopSequences));
        for (int i = 0; i < sequences.Count; i++)
        {
            if (string.IsNullOrEmpty(sequences[i]))
                throw new ArgumentException($"StopSequences[{i}] is {(sequences[i] is null ? "null" : "empty")}; a stop sequence needs at least one character. Remove it from the list.", nameof(StopSequences));
        }
        // A copy: the options are immutable even if the caller's list is not.
        return [.. sequences];
    }
}
