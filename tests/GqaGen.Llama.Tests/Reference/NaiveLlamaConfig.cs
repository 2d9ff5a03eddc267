using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>The oracle's blueprint, read from a GGUF file's <c>llama.*</c> metadata with llama.cpp's defaults.</summary>
public sealed record NaiveLlamaConfig(
    int VocabularySize, int EmbeddingLength, int Layers, int Heads, int KvGroups, int HeadDim, int FeedForwardLength,
    double RmsNormEpsilon, double RopeFreqBase, int RopeDimensions)
{
    /// <summary>Reads the configuration; the vocabulary size is <c>token_embd.weight</c>'s row count.</summary>
    public static NaiveLlamaConfig Read(GgufFile file)
    {
        string architecture = file.GetString("general.architecture");
        if (architecture != "llama")
            throw new InvalidOperationException($"The reference runs the llama architecture, not '{architecture}'.");
        int embd = (int)file.GetInteger("llama.embedding_length");
        int heads = (int)file.GetInteger("llama.attention.head_count");
        // llama.cpp: head_count_kv defaults to head_count, key_length to n_embd / n_head, rope dims to the head size.
        int kvGroups = file.ContainsKey("llama.attention.head_count_kv") ? (int)file.GetInteger("llama.attention.head_count_kv") : heads;
        int headDim = file.ContainsKey("llama.attention.key_length") ? (int)file.GetInteger("llama.attention.key_length") : embd / heads;
        int ropeDimensions = file.ContainsKey("llama.rope.dimension_count") ? (int)file.GetInteger("llama.rope.dimension_count") : headDim;
        double ropeBase = file.TryGet("llama.rope.freq_base", out float b) ? b : 10000.0;
        return new NaiveLlamaConfig(
            VocabularySize: (int)file.GetTensor("token_embd.weight").Dimensions[1],
            EmbeddingLength: embd,
            Layers: (int)file.GetInteger("llama.block_count"),
            Heads: heads,
            KvGroups: kvGroups,
            HeadDim: headDim,
            FeedForwardLength: (int)file.GetInteger("llama.feed_forward_length"),
            RmsNormEpsilon: file.GetFloat32("llama.attention.layer_norm_rms_epsilon"),
            RopeFreqBase: ropeBase,
            RopeDimensions: ropeDimensions);
    }
}
