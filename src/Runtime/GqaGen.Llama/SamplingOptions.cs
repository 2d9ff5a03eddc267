namespace GqaGen.Llama;

/// <summary>
/// How the next token is drawn from the logits. The steps run in llama.cpp's default sampler order: repetition penalty
/// → top-k → top-p → min-p → temperature → a seeded draw (greedy decoding takes the argmax after the penalty). Each
/// step's neutral value turns it off.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Softmax temperature; 0 means greedy (argmax), above 0 samples from softmax(logits / T) over the tokens
    /// the filters kept.</summary>
    public float Temperature
    {
        get;
        init => field = value >= 0 && float.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Temperature), value, "Temperature must be finite and ≥ 0 (0 = greedy).");
    }

    /// <summary>Keep only the K most likely tokens before sampling; 0 keeps all.</summary>
    public int TopK
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(TopK), value, "TopK must be ≥ 0 (0 = off).");
    }

    /// <summary>Nucleus sampling: keep the smallest set of most likely tokens whose probability (softmax of the logits
    /// at temperature 1, over the tokens top-k kept) reaches P; 1 keeps all.</summary>
    public float TopP
    {
        get;
        init => field = value > 0 && value <= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(TopP), value, "TopP must be within (0, 1] (1 = off).");
    } = 1f;

    /// <summary>Min-p (llama.cpp's <c>min_p</c>): drop the tokens whose probability is below MinP × the most likely
    /// token's (at temperature 1); 0 keeps all. The most likely token always stays.</summary>
    public float MinP
    {
        get;
        init => field = value >= 0 && value <= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(MinP), value, "MinP must be within [0, 1] (0 = off).");
    }

    /// <summary>
    /// Repetition penalty (llama.cpp's <c>penalty_repeat</c>, <c>--repeat-penalty</c>): each distinct token among the
    /// last <see cref="RepetitionPenaltyLastN"/> (prompt tokens included, as llama.cpp feeds them to its sampler) has its
    /// logit divided by this if positive, multiplied by it if negative. 1 (default) is off; above 1 discourages
    /// repeats, below 1 encourages them.
    /// </summary>
    public float RepetitionPenalty
    {
        get;
        init => field = value > 0 && float.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), value, "RepetitionPenalty must be finite and > 0 (1 = off).");
    } = 1f;

    /// <summary>How many of the most recent tokens <see cref="RepetitionPenalty"/> looks at (llama.cpp's
    /// <c>penalty_last_n</c>, <c>--repeat-last-n</c>; default 64 as there); 0 turns the penalty off.</summary>
    public int RepetitionPenaltyLastN
    {
        get;
        init => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(RepetitionPenaltyLastN), value, "RepetitionPenaltyLastN must be ≥ 0 (0 = off).");
    } = 64;

    /// <summary>Seed of the random draws, so a sampled generation can be repeated.</summary>
    public int Seed { get; init; }

    /// <summary>Whether the draw is deterministic argmax (after the repetition penalty).</summary>
    public bool IsGreedy => Temperature == 0 || TopK == 1;

    /// <summary>Whether the repetition penalty changes anything.</summary>
    public bool HasRepetitionPenalty => RepetitionPenalty != 1 && RepetitionPenaltyLastN > 0;
}
