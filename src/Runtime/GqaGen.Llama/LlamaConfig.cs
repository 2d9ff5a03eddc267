using GqaGen.Gguf;

namespace GqaGen.Llama;

/// <summary>
/// The blueprint of a <c>llama</c>- or <c>qwen2</c>-architecture model, read from GGUF metadata (key names as
/// llama.cpp writes them: <c>llama.embedding_length</c>, <c>qwen2.attention.head_count_kv</c>, …). The two share one
/// forward pass; what differs is data here (<see cref="HasQkvBias"/>, <see cref="RopeStyle"/>).
/// </summary>
/// <param name="VocabularySize">Tokens in the vocabulary (rows of <c>token_embd.weight</c>).</param>
/// <param name="EmbeddingLength">The residual stream width.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Query heads, H.</param>
/// <param name="KvGroups">K/V heads, G (<c>head_count_kv</c>; absent means G = H, multi-head attention).</param>
/// <param name="HeadDim">Elements per head, d (<c>attention.key_length</c>, else embedding / heads).</param>
/// <param name="FeedForwardLength">Hidden width of the SwiGLU MLP.</param>
/// <param name="RmsNormEpsilon">The ε inside every RMSNorm.</param>
/// <param name="RopeFreqBase">RoPE's base θ (10,000 for Llama 2, 500,000 for Llama 3).</param>
/// <param name="RopeDimensions">Leading elements of each head that RoPE rotates (the rest pass unrotated).</param>
/// <param name="RopePositionScale">Linear RoPE scaling: positions are multiplied by this (1 / <c>rope.scaling.factor</c>).</param>
/// <param name="ContextLength">The context the model was trained for.</param>
public sealed record LlamaConfig(
    int VocabularySize,
    int EmbeddingLength,
    int Layers,
    int Heads,
    int KvGroups,
    int HeadDim,
    int FeedForwardLength,
    float RmsNormEpsilon,
    float RopeFreqBase,
    int RopeDimensions,
    float RopePositionScale,
    int ContextLength)
{
    /// <summary>The <c>llama</c> architecture's name, as <c>general.architecture</c> gives it (Llama 2/3, TinyLlama,
    /// Mistral, SmolLM).</summary>
    public const string Architecture = "llama";

    /// <summary>The <c>qwen2</c> architecture's name (Qwen2, Qwen2.5): llama's graph with biases on the Q, K and V
    /// projections and NeoX (rotate-half) RoPE, as llama.cpp's <c>build_qwen2</c> runs it.</summary>
    public const string Qwen2Architecture = "qwen2";

    /// <summary>The architectures <see cref="FromGguf"/> reads, by their <c>general.architecture</c> names.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = [Architecture, Qwen2Architecture];

    /// <summary>The model's architecture (<see cref="Architecture"/> or <see cref="Qwen2Architecture"/>); also the
    /// prefix of its metadata keys.</summary>
    public string ArchitectureName { get; init; } = Architecture;

    /// <summary>Whether every block must add a bias after its Q, K and V projections (<c>blk.N.attn_q.bias</c>,
    /// <c>attn_k.bias</c>, <c>attn_v.bias</c>, F32): true for <c>qwen2</c>. A <c>llama</c> file may carry them too;
    /// they are then applied where present, as llama.cpp's <c>build_llama</c> does.</summary>
    public bool HasQkvBias { get; init; }

    /// <summary>Which elements RoPE rotates together: <see cref="RopeStyle.Interleaved"/> for <c>llama</c>,
    /// <see cref="RopeStyle.NeoX"/> for <c>qwen2</c> (llama.cpp's <c>llama_rope_type</c>).</summary>
    public RopeStyle RopeStyle { get; init; } = RopeStyle.Interleaved;

    /// <summary>The attention layout, the key into the generated kernels.</summary>
    public GqaShape Shape => new(Heads, KvGroups, HeadDim);

    /// <summary>Query heads per K/V head.</summary>
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>Reads the configuration of a <c>llama</c> or <c>qwen2</c> model from its <c>&lt;arch&gt;.*</c> keys
    /// (the same names after the prefix for both).</summary>
    /// <exception cref="NotSupportedException">The file holds another architecture, a mixture-of-experts model, or a RoPE scaling this decoder lacks.</exception>
    /// <exception cref="InvalidDataException">A required key is missing, has the wrong type, or the values contradict each other.</exception>
    public static LlamaConfig FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.TryGetValue("general.architecture", out GgufValue? archValue) || archValue.Type != GgufValueType.String)
            throw new InvalidDataException("The GGUF file has no string 'general.architecture'; it is not a model file.");
        string arch = archValue.AsString();
        if (!SupportedArchitectures.Contains(arch))
            throw new NotSupportedException(
                $"Model architecture '{arch}' is not supported; this decoder runs '{Architecture}' (Llama 2/3, TinyLlama, Mistral, SmolLM) and '{Qwen2Architecture}' (Qwen2, Qwen2.5).");
        string p = arch + ".";
        if (Integer(file, p + "expert_count", 0) > 0)
            throw new NotSupportedException($"This is a mixture-of-experts model ({Integer(file, p + "expert_count", 0)} experts, e.g. Mixtral); only dense '{arch}' models are supported.");

        int embedding = Required(file, p + "embedding_length");
        int layers = Required(file, p + "block_count");
        int heads = Required(file, p + "attention.head_count");
        if (embedding <= 0 || heads <= 0 || heads > GqaShape.MaxHeads)
            throw new InvalidDataException($"{p}embedding_length = {embedding} and {p}attention.head_count = {heads} must be positive (heads at most {GqaShape.MaxHeads}).");
        int kvGroups = Integer(file, p + "attention.head_count_kv", heads);
        if (embedding % heads != 0 && !file.ContainsKey(p + "attention.key_length"))
            throw new InvalidDataException($"{p}embedding_length {embedding} is not a multiple of {p}attention.head_count {heads}, and no {p}attention.key_length gives the head size.");
        int headDim = Integer(file, p + "attention.key_length", embedding / heads);
        int valueDim = Integer(file, p + "attention.value_length", headDim);
        if (valueDim != headDim)
            throw new NotSupportedException($"Key and value heads differ in size (key_length {headDim}, value_length {valueDim}); the kernels need them equal.");
        if (kvGroups <= 0 || heads % kvGroups != 0)
            throw new InvalidDataException($"{p}attention.head_count_kv = {kvGroups} must be positive and divide {p}attention.head_count = {heads}.");
        int feedForward = Required(file, p + "feed_forward_length");
        int ropeDims = Integer(file, p + "rope.dimension_count", headDim);
        if (ropeDims <= 0 || ropeDims > headDim || ropeDims % 2 != 0)
            throw new InvalidDataException($"{p}rope.dimension_count = {ropeDims} must be even and within 1..{headDim} (the head size).");

        // As llama.cpp reads them: the scaling type defaults to linear, the factor comes from rope.scaling.factor or the
        // older rope.scale_linear, and a factor of 0 (or none) means no scaling.
        float positionScale = 1f;
        string scalingType = "linear";
        if (file.TryGetValue(p + "rope.scaling.type", out GgufValue? scaling))
        {
            scalingType = scaling.Type == GgufValueType.String ? scaling.AsString()
                : throw new InvalidDataException($"'{p}rope.scaling.type' must be a string; the file stores {scaling.Type}.");
        }
        float factor = Float(file, p + "rope.scaling.factor", Float(file, p + "rope.scale_linear", 0f));
        if (!float.IsFinite(factor) || factor < 0)
            throw new InvalidDataException($"The RoPE scaling factor {factor} must be finite and ≥ 0 (0 = none).");
        switch (scalingType)
        {
            case "none":
                break;
            case "linear":
                if (factor != 0)
                    positionScale = 1f / factor;
                break;
            default:
                throw new NotSupportedException($"RoPE scaling '{scalingType}' is not supported; 'none' and 'linear' are (Llama 3.1's rope_freqs tensor is too).");
        }

        var token = file.TryGetTensor("token_embd.weight", out GgufTensorInfo? embd) ? embd : null;
        int vocabulary = file.ContainsKey(p + "vocab_size") ? Integer(file, p + "vocab_size", 0)
            : token is { Dimensions: [_, long rows] } && rows is > 0 and <= int.MaxValue ? (int)rows
            : throw new InvalidDataException($"The vocabulary size is unknown: no {p}vocab_size and no 2-D token_embd.weight with 1 to 2^31 − 1 rows.");

        bool qwen2 = arch == Qwen2Architecture;
        var config = new LlamaConfig(
            vocabulary, embedding, layers, heads, kvGroups, headDim, feedForward,
            Float(file, p + "attention.layer_norm_rms_epsilon", 1e-5f),
            Float(file, p + "rope.freq_base", 10000f),
            ropeDims, positionScale,
            Integer(file, p + "context_length", 2048))
        {
            ArchitectureName = arch,
            // llama.cpp loads qwen2's bq, bk and bv as required tensors (llama's as optional ones).
            HasQkvBias = qwen2,
            // llama.cpp's llama_rope_type: LLM_ARCH_QWEN2 → LLAMA_ROPE_TYPE_NEOX, LLM_ARCH_LLAMA → LLAMA_ROPE_TYPE_NORM.
            RopeStyle = qwen2 ? RopeStyle.NeoX : RopeStyle.Interleaved,
        };
        config.Validate();
        return config;
    }

    /// <summary>Checks every size is positive and within what the kernels support.</summary>
    /// <exception cref="InvalidDataException">A size is out of range.</exception>
    public void Validate()
    {
        Positive(VocabularySize, nameof(VocabularySize));
        Positive(EmbeddingLength, nameof(EmbeddingLength));
        Positive(Layers, nameof(Layers));
        Positive(FeedForwardLength, nameof(FeedForwardLength));
        Positive(ContextLength, nameof(ContextLength));
        if (Heads <= 0 || Heads > GqaShape.MaxHeads || KvGroups <= 0 || Heads % KvGroups != 0 || HeadDim <= 0 || HeadDim > GqaShape.MaxHeadDim)
            throw new InvalidDataException($"Attention layout H={Heads}, G={KvGroups}, d={HeadDim} is out of range: need 1 ≤ G, G divides H ≤ {GqaShape.MaxHeads}, 1 ≤ d ≤ {GqaShape.MaxHeadDim}.");
        if (!Finite(RmsNormEpsilon) || !Finite(RopeFreqBase) || !Finite(RopePositionScale))
            throw new InvalidDataException($"RMSNorm ε ({RmsNormEpsilon}), RoPE base ({RopeFreqBase}) and position scale ({RopePositionScale}) must be finite and positive.");
        if (RopeDimensions <= 0 || RopeDimensions > HeadDim || RopeDimensions % 2 != 0)
            throw new InvalidDataException($"RoPE dimensions = {RopeDimensions} must be even and within 1..{HeadDim} (the head size).");

        static bool Finite(float x) => float.IsFinite(x) && x > 0;
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
            throw new InvalidDataException($"{name} must be positive; the file gives {value}.");
    }

    private static int Required(GgufFile file, string key) =>
        file.ContainsKey(key) ? Integer(file, key, 0) : throw new InvalidDataException($"The model file lacks the required key '{key}'.");

    private static int Integer(GgufFile file, string key, int fallback)
    {
        if (!file.TryGetValue(key, out GgufValue? value))
            return fallback;
        long n;
        try
        {
            n = value.AsInteger();
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or GgufFormatException)
        {
            throw new InvalidDataException($"'{key}' must be an integer; the file stores {value.Type}{(value.IsArray ? " (per-layer values are not supported)" : "")}.", e);
        }
        if (n < int.MinValue || n > int.MaxValue)
            throw new InvalidDataException($"'{key}' = {n} is out of range.");
        return (int)n;
    }

    private static float Float(GgufFile file, string key, float fallback)
    {
        if (!file.TryGetValue(key, out GgufValue? value))
            return fallback;
        return value.Type switch
        {
            GgufValueType.Float32 => value.AsFloat32(),
            GgufValueType.Float64 => (float)value.AsFloat64(),
            _ => throw new InvalidDataException($"'{key}' must be a float; the file stores {value.Type}."),
        };
    }
}
