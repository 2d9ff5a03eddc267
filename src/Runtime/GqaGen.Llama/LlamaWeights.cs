using GqaGen.Gguf;

namespace GqaGen.Llama;

/// <summary>One transformer block's weights. Matrices stay in the file's storage type (F32, F16, BF16, Q8_0); the
/// Q/K/V biases (qwen2's, or a llama file's optional ones) are F32 vectors.</summary>
internal sealed record LlamaBlockWeights(
    float[] AttentionNorm,        // (embedding)
    WeightMatrix Query,           // (heads·headDim) × embedding
    WeightMatrix Key,             // (kvGroups·headDim) × embedding
    WeightMatrix Value,           // (kvGroups·headDim) × embedding
    WeightMatrix Output,          // embedding × (heads·headDim)
    float[] FeedForwardNorm,      // (embedding)
    WeightMatrix Gate,            // feedForward × embedding
    WeightMatrix Up,              // feedForward × embedding
    WeightMatrix Down,            // embedding × feedForward
    float[]? QueryBias,           // (heads·headDim), or null when the block has none
    float[]? KeyBias,             // (kvGroups·headDim), or null
    float[]? ValueBias);          // (kvGroups·headDim), or null

/// <summary>
/// The weights of a <c>llama</c> or <c>qwen2</c> model, by llama.cpp's tensor names, with every shape checked against the
/// <see cref="LlamaConfig"/>. Matrices point into the (memory-mapped) file; only norm vectors are copied.
/// </summary>
internal sealed class LlamaWeights
{
    private LlamaWeights(WeightMatrix tokenEmbedding, float[] outputNorm, WeightMatrix outputHead, bool tiedOutput,
        LlamaBlockWeights[] blocks, float[]? ropeFrequencyFactors)
    {
        TokenEmbedding = tokenEmbedding;
        OutputNorm = outputNorm;
        OutputHead = outputHead;
        TiedOutput = tiedOutput;
        Blocks = blocks;
        RopeFrequencyFactors = ropeFrequencyFactors;
    }

    /// <summary>vocabulary × embedding; a row is a token's embedding.</summary>
    public WeightMatrix TokenEmbedding { get; }

    /// <summary>(embedding)</summary>
    public float[] OutputNorm { get; }

    /// <summary>vocabulary × embedding: <c>output.weight</c>, or the token embedding when the file ties them.</summary>
    public WeightMatrix OutputHead { get; }

    /// <summary>Whether <see cref="OutputHead"/> is the token embedding (no <c>output.weight</c> in the file).</summary>
    public bool TiedOutput { get; }

    /// <summary>One entry per layer.</summary>
    public IReadOnlyList<LlamaBlockWeights> Blocks { get; }

    /// <summary>Llama 3.1's <c>rope_freqs.weight</c>: per rotated pair, a divisor of its frequency; null when absent.</summary>
    public float[]? RopeFrequencyFactors { get; }

    /// <summary>Every matrix and vector bytes the model reads per token (for bandwidth figures).</summary>
    public long BytesPerToken { get; private init; }

    public static LlamaWeights Load(GgufFile file, LlamaConfig config)
    {
        int embd = config.EmbeddingLength, qRows = config.Heads * config.HeadDim, kvRows = config.KvGroups * config.HeadDim;
        WeightMatrix tokenEmbedding = Matrix(file, "token_embd.weight", config.VocabularySize, embd);
        bool tied = !file.TryGetTensor("output.weight", out _);
        WeightMatrix head = tied ? tokenEmbedding : Matrix(file, "output.weight", config.VocabularySize, embd);

        // Each block has 9 tensors: a count the file cannot hold is corrupt metadata, not an array to allocate.
        if (config.Layers > file.Tensors.Count / 9)
            throw new InvalidDataException($"llama.block_count = {config.Layers}, but the file holds only {file.Tensors.Count} tensors (9 per block).");
        var blocks = new LlamaBlockWeights[config.Layers];
        long bytes = head.ByteSize;
        for (int i = 0; i < config.Layers; i++)
        {
            string p = $"blk.{i}.";
            blocks[i] = new LlamaBlockWeights(
                Vector(file, p + "attn_norm.weight", embd),
                Matrix(file, p + "attn_q.weight", qRows, embd),
                Matrix(file, p + "attn_k.weight", kvRows, embd),
                Matrix(file, p + "attn_v.weight", kvRows, embd),
                Matrix(file, p + "attn_output.weight", embd, qRows),
                Vector(file, p + "ffn_norm.weight", embd),
                Matrix(file, p + "ffn_gate.weight", config.FeedForwardLength, embd),
                Matrix(file, p + "ffn_up.weight", config.FeedForwardLength, embd),
                Matrix(file, p + "ffn_down.weight", embd, config.FeedForwardLength),
                Bias(file, p + "attn_q.bias", qRows, config),
                Bias(file, p + "attn_k.bias", kvRows, config),
                Bias(file, p + "attn_v.bias", kvRows, config));
            var b = blocks[i];
            bytes += b.Query.ByteSize + b.Key.ByteSize + b.Value.ByteSize + b.Output.ByteSize + b.Gate.ByteSize + b.Up.ByteSize + b.Down.ByteSize
                + sizeof(float) * ((b.QueryBias?.Length ?? 0) + (b.KeyBias?.Length ?? 0) + (b.ValueBias?.Length ?? 0));
        }

        float[]? ropeFactors = file.TryGetTensor("rope_freqs.weight", out _) ? Vector(file, "rope_freqs.weight", config.RopeDimensions / 2) : null;
        for (int i = 0; ropeFactors is not null && i < ropeFactors.Length; i++)
        {
            if (!float.IsFinite(ropeFactors[i]) || ropeFactors[i] <= 0)
                throw new InvalidDataException($"rope_freqs.weight[{i}] = {ropeFactors[i]}; frequency factors must be finite and positive.");
        }
        return new LlamaWeights(tokenEmbedding, Vector(file, "output_norm.weight", embd), head, tied, blocks, ropeFactors) { BytesPerToken = bytes };
    }

    /// <summary>A Q/K/V bias: required when the architecture has them (qwen2), else read only if present.</summary>
    private static float[]? Bias(GgufFile file, string name, int length, LlamaConfig config)
    {
        if (file.TryGetTensor(name, out _))
            return Vector(file, name, length);
        return config.HasQkvBias
            ? throw new InvalidDataException($"The model file lacks tensor '{name}'; a '{config.ArchitectureName}' model has biases on its Q, K and V projections in every block.")
            : null;
    }

    private static GgufTensorInfo Tensor(GgufFile file, string name) =>
        file.TryGetTensor(name, out GgufTensorInfo? tensor) ? tensor : throw new InvalidDataException($"The model file lacks tensor '{name}'.");

    private static WeightMatrix Matrix(GgufFile file, string name, int rows, int columns)
    {
        GgufTensorInfo tensor = Tensor(file, name);
        if (tensor.Dimensions.Length != 2 || tensor.Dimensions[0] != columns || tensor.Dimensions[1] != rows)
            throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", tensor.Dimensions)}]; the model's configuration needs [{columns}, {rows}] (columns, rows).");
        return WeightMatrix.FromGguf(file, tensor);
    }

    private static float[] Vector(GgufFile file, string name, int length)
    {
        GgufTensorInfo tensor = Tensor(file, name);
        if (tensor.Dimensions.Length != 1 || tensor.Dimensions[0] != length)
            throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", tensor.Dimensions)}]; the model's configuration needs [{length}].");
        if (tensor.Type != GgmlType.F32)
            throw new NotSupportedException($"Tensor '{name}' has type {tensor.Type}; norm, bias and frequency vectors must be F32.");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.TensorData(tensor)).ToArray();
    }
}
