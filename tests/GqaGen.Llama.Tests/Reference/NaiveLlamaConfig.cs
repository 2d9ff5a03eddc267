using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>The oracle's blueprint, read from a GGUF file's <c>llama.*</c> or <c>qwen2.*</c> metadata with
/// llama.cpp's defaults.</summary>
public sealed record NaiveLlamaConfig(
    int VocabularySize, int EmbeddingLength, int Layers, int Heads, int KvGroups, int HeadDim, int FeedForwardLength,
    double RmsNormEpsilon, double RopeFreqBase, int RopeDimensions)
{
    /// <summary><c>general.architecture</c>: "llama" or "qwen2".</summary>
    public string Architecture { get; init; } = "llama";

    /// <summary>Whether RoPE pairs element i with i + n_rot/2 (NeoX, llama.cpp's choice for qwen2) rather than with
    /// i + 1 (llama's "normal" mode). Tests may flip it to show the choice matters.</summary>
    public bool NeoXRope { get; init; }

    /// <summary>Whether every block must have Q/K/V biases (qwen2); llama's are read when present.</summary>
    public bool RequiresQkvBias => Architecture == "qwen2";

    /// <summary>Reads the configuration; the vocabulary size is <c>token_embd.weight</c>'s row count.</summary>
    public static NaiveLlamaConfig Read(GgufFile file)
    {
        string architecture = file.GetString("general.architecture");
        if (architecture is not ("llama" or "qwen2"))
            throw new InvalidOperationException($"The reference runs the llama and qwen2 architectures, not '{architecture}'.");
        string p = architecture + ".";
        int embd = (int)file.GetInteger(p + "embedding_length");
        int heads = (int)file.GetInteger(p + "attention.head_count");
        // llama.cpp: head_count_kv defaults to head_count, key_length to n_embd / n_head, rope dims to the head size.
        int kvGroups = file.ContainsKey(p + "attention.head_count_kv") ? (int)file.GetInteger(p + "attention.head_count_kv") : heads;
        int headDim = file.ContainsKey(p + "attention.key_length") ? (int)file.GetInteger(p + "attention.key_length") : embd / heads;
        int ropeDimensions = file.ContainsKey(p + "rope.dimension_count") ? (int)file.GetInteger(p + "rope.dimension_count") : headDim;
        double ropeBase = file.TryGet(p + "rope.freq_base", out float b) ? b : 10000.0;
        return new NaiveLlamaConfig(
            VocabularySize: (int)file.GetTensor("token_embd.weight").Dimensions[1],
            EmbeddingLength: embd,
            Layers: (int)file.GetInteger(p + "block_count"),
            Heads: heads,
            KvGroups: kvGroups,
            HeadDim: headDim,
            FeedForwardLength: (int)file.GetInteger(p + "feed_forward_length"),
            RmsNormEpsilon: file.GetFloat32(p + "attention.layer_norm_rms_epsilon"),
            RopeFreqBase: ropeBase,
            RopeDimensions: ropeDimensions)
        {
            Architecture = architecture,
            // llama.cpp's llama_rope_type: qwen2 → LLAMA_ROPE_TYPE_NEOX; llama → LLAMA_ROPE_TYPE_NORM.
            NeoXRope = architecture == "qwen2",
        };
    }
}
