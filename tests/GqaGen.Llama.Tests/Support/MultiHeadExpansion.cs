using GqaGen.Llama.Tests.Reference;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Support;

/// <summary>
/// Turns a grouped-query model into the multi-head model that must compute the same logits: query head h reads K/V
/// head h / (H/G), so copying each K/V head's rows of attn_k and attn_v to every query head of its group (and setting
/// head_count_kv = H) changes nothing. A mapping such as h % G would break the equivalence, which is what the tests
/// that use this check.
/// </summary>
public static class MultiHeadExpansion
{
    /// <summary>The multi-head model equivalent to a grouped F32 one: K/V head g's rows copied to every query head of group g.</summary>
    public static byte[] Of(GgufFile gqa)
    {
        var config = NaiveLlamaConfig.Read(gqa);
        int headsPerGroup = config.Heads / config.KvGroups, d = config.HeadDim, embd = config.EmbeddingLength;
        var rewriter = new GgufRewriter(gqa).SetUInt32("llama.attention.head_count_kv", (uint)config.Heads);
        for (int l = 0; l < config.Layers; l++)
        {
            foreach (string name in new[] { $"blk.{l}.attn_k.weight", $"blk.{l}.attn_v.weight" })
            {
                double[][] rows = ReferenceDequantizer.Matrix(gqa, name, config.KvGroups * d, embd);
                var expanded = new float[config.Heads * d * embd];
                for (int h = 0; h < config.Heads; h++)
                    for (int i = 0; i < d; i++)
                        for (int c = 0; c < embd; c++)
                            expanded[(h * d + i) * embd + c] = (float)rows[h / headsPerGroup * d + i][c];
                rewriter.SetTensor(name, [embd, config.Heads * d], expanded);
            }
        }
        return rewriter.ToArray();
    }
}
