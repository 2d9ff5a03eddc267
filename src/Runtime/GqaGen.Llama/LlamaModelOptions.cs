using GqaGen.Gguf;

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

    /// <summary>
    /// How the weights reach the kernels when the model is loaded from a path: <see cref="GgufTensorMemory.Loaded"/>
    /// (the default) reads the file into the model's own memory with transparent huge pages requested;
    /// <see cref="GgufTensorMemory.Mapped"/> maps it (instant, shared with other processes, no copy in memory, but
    /// streamed through 4 KiB pages). The default comes from measurements on F16, Q8_0 and Q4_K_M files: see
    /// docs/benchmarks.md ("Weight memory"). Ignored by <see cref="LlamaModel.Load(GgufFile, LlamaModelOptions?)"/>,
    /// whose file is already open.
    /// </summary>
    public GgufTensorMemory WeightMemory
    {
        get;
        init => field = value is GgufTensorMemory.Mapped or GgufTensorMemory.Loaded ? value
            : throw new ArgumentOutOfRangeException(nameof(WeightMemory), value, $"Weights are {GgufTensorMemory.Mapped} or {GgufTensorMemory.Loaded}; got {value}.");
    } = GgufTensorMemory.Loaded;

    /// <summary>
    /// How a decode step multiplies activations with quantized weights: <see cref="ActivationPrecision.Float32"/> (the
    /// default: exact products with the dequantized weights) or <see cref="ActivationPrecision.Int8"/> (activations
    /// rounded to 8 bits and integer products, as llama.cpp does; faster where unpacking 4- to 6-bit weights is the
    /// bottleneck). Prompts (<see cref="LlamaSession.Prefill(ReadOnlySpan{int})"/>, every chunk) always use fp32 activations;
    /// only <see cref="LlamaSession.Decode"/> steps take int8.
    /// </summary>
    public ActivationPrecision Activations
    {
        get;
        init => field = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Activations), value, $"Unknown activation precision; expected one of {string.Join(", ", Enum.GetNames<ActivationPrecision>())}.");
    } = ActivationPrecision.Float32;
}
