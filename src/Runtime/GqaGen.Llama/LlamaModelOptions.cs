namespace GqaGen.Llama;

/// <summary>How a <see cref="LlamaModel"/> runs.</summary>
public sealed class LlamaModelOptions
{
    /// <summary>Threads for the matrix-vector products (the caller's thread counts as one). Default 1.</summary>
    public int Threads
    {
        get;
        init
        {
            if (value < 1 || value > 4 * Environment.ProcessorCount)
                throw new ArgumentOutOfRangeException(nameof(Threads), value, $"Threads must be within 1..{4 * Environment.ProcessorCount} (4 × the {Environment.ProcessorCount} processors).");
            field = value;
        }
    } = 1;

    /// <summary>Which attention kernel to use; <see cref="GqaKernelChoice.Auto"/> by default.</summary>
    public GqaKernelChoice Kernel
    {
        get;
        init => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Kernel), value, $"Unknown kernel choice; expected one of {string.Join(", ", Enum.GetNames<GqaKernelChoice>())}.");
    } = GqaKernelChoice.Auto;
}
