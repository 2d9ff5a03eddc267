namespace GqaGen.Llama;

/// <summary>How the next token is drawn from the logits.</summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Softmax temperature; 0 means greedy (argmax), above 0 samples from softmax(logits / T).</summary>
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

    /// <summary>Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches P; 1 keeps all.</summary>
    public float TopP
    {
        get;
        init => field = value > 0 && value <= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(TopP), value, "TopP must be within (0, 1] (1 = off).");
    } = 1f;

    /// <summary>Seed of the random draws, so a sampled generation can be repeated.</summary>
    public int Seed { get; init; }

    /// <summary>Whether the draw is deterministic argmax.</summary>
    public bool IsGreedy => Temperature == 0 || TopK == 1;
}
