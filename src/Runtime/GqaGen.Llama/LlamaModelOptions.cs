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

    /// <summary>How sessions store keys and values; <see cref="GqaGen.KvElementType.Float16"/> by default, as llama.cpp's
    /// default cache (<c>-ctk f16 -ctv f16</c>). <see cref="GqaGen.KvElementType.Float32"/> gives bit-for-bit the
    /// unrounded attention; <see cref="GqaGen.KvElementType.Q8_0"/> reads a quarter of fp32's bytes per step.</summary>
    public KvElementType KvElementType
    {
        get;
        init => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(KvElementType), value, $"Unknown KV element type; expected one of {string.Join(", ", Enum.GetNames<KvElementType>())}.");
    } = KvElementType.Float16;
}
