using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>One transformer block's weights, matrices as rows (row r = output r).</summary>
public sealed record NaiveLayerWeights(
    double[] AttentionNorm,   // (embd)
    double[][] Query,         // (H·d, embd)
    double[][] Key,           // (G·d, embd)
    double[][] Value,         // (G·d, embd)
    double[][] Output,        // (embd, H·d)
    double[] FeedForwardNorm, // (embd)
    double[][] Gate,          // (ffn, embd)
    double[][] Up,            // (ffn, embd)
    double[][] Down,          // (embd, ffn)
    double[]? QueryBias,      // (H·d), or null: qwen2's attn_q.bias
    double[]? KeyBias,        // (G·d), or null
    double[]? ValueBias);     // (G·d), or null

/// <summary>Every weight of the model, dequantized to doubles.</summary>
public sealed record NaiveLlamaWeights(
    double[][] TokenEmbedding, // (vocab, embd)
    NaiveLayerWeights[] Layers,
    double[] OutputNorm,       // (embd)
    double[][] OutputHead)     // (vocab, embd): output.weight, or token_embd.weight when tied
{
    /// <summary>Reads and dequantizes the tensors under their llama.cpp names.</summary>
    public static NaiveLlamaWeights Read(GgufFile file, NaiveLlamaConfig c)
    {
        int embd = c.EmbeddingLength, query = c.Heads * c.HeadDim, kv = c.KvGroups * c.HeadDim, ffn = c.FeedForwardLength;
        var layers = new NaiveLayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            string b = $"blk.{l}.";
            layers[l] = new NaiveLayerWeights(
                ReferenceDequantizer.Vector(file, b + "attn_norm.weight", embd),
                ReferenceDequantizer.Matrix(file, b + "attn_q.weight", query, embd),
                ReferenceDequantizer.Matrix(file, b + "attn_k.weight", kv, embd),
                ReferenceDequantizer.Matrix(file, b + "attn_v.weight", kv, embd),
                ReferenceDequantizer.Matrix(file, b + "attn_output.weight", embd, query),
                ReferenceDequantizer.Vector(file, b + "ffn_norm.weight", embd),
                ReferenceDequantizer.Matrix(file, b + "ffn_gate.weight", ffn, embd),
                ReferenceDequantizer.Matrix(file, b + "ffn_up.weight", ffn, embd),
                ReferenceDequantizer.Matrix(file, b + "ffn_down.weight", embd, ffn),
                Bias(file, b + "attn_q.bias", query, c),
                Bias(file, b + "attn_k.bias", kv, c),
                Bias(file, b + "attn_v.bias", kv, c));
        }
        var embedding = ReferenceDequantizer.Matrix(file, "token_embd.weight", c.VocabularySize, embd);
        var head = file.TryGetTensor("output.weight", out _)
            ? ReferenceDequantizer.Matrix(file, "output.weight", c.VocabularySize, embd)
            : embedding;
        return new NaiveLlamaWeights(embedding, layers, ReferenceDequantizer.Vector(file, "output_norm.weight", embd), head);
    }

    private static double[]? Bias(GgufFile file, string name, int length, NaiveLlamaConfig c) =>
        c.RequiresQkvBias || file.TryGetTensor(name, out _) ? ReferenceDequantizer.Vector(file, name, length) : null;
}
