using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// A synthetic model rewritten into a bigram machine whose next token is a chosen function of the current one, so a
/// test knows exactly what greedy (or any sampled) generation produces: token_embd is one-hot (embedding length =
/// vocabulary), the blocks add nothing (attn_output and ffn_down are zero), output_norm is 1, and output.weight row y
/// has a 1 in column x for each x whose successor is y. The logit of x's successor is then
/// √embedding ≈ 19.6 and every other logit is exactly 0 (probability ≈ 1 − 1e-6 at temperature 1).
/// </summary>
public static class ScriptedModel
{
    /// <summary>The model under the script: <see cref="TestModels.Gqa"/>'s tokenizer and attention layout, one layer,
    /// embedding as long as the vocabulary.</summary>
    public static SyntheticLlamaSpec Spec { get; } = TestModels.Gqa with
    {
        EmbeddingLength = TestModels.Gqa.VocabularySize, Layers = 1, FeedForwardLength = 32, Seed = 21,
    };

    /// <summary>The gpt2 synthetic vocabulary's end token (its last id).</summary>
    public static int EndToken => Spec.VocabularySize - 1;

    /// <summary>
    /// The GGUF bytes of a model that, from <paramref name="start"/>, produces <paramref name="script"/> and then the end
    /// token forever (every token not in the script also leads to the end token).
    /// </summary>
    /// <exception cref="ArgumentException">A token repeats (a bigram machine cannot tell its two successors apart).</exception>
    public static byte[] Create(int start, IReadOnlyList<int> script)
    {
        int[] chain = [start, .. script];
        if (chain.Distinct().Count() != chain.Length)
            throw new ArgumentException("The start token and the script must be distinct tokens.", nameof(script));
        int vocabulary = Spec.VocabularySize, embd = Spec.EmbeddingLength;
        var successor = Enumerable.Repeat(EndToken, vocabulary).ToArray();
        for (int i = 0; i + 1 < chain.Length; i++)
            successor[chain[i]] = chain[i + 1];

        var embedding = new float[vocabulary * embd]; // (token, embedding)
        var output = new float[vocabulary * embd];    // (next token, embedding)
        for (int x = 0; x < vocabulary; x++)
        {
            embedding[x * embd + x] = 1;
            output[successor[x] * embd + x] = 1;
        }

        using GgufFile source = GgufFile.Parse(TestModels.Bytes(Spec));
        return new GgufRewriter(source)
            .SetTensor("token_embd.weight", [embd, vocabulary], embedding)
            .SetTensor("output.weight", [embd, vocabulary], output)
            .SetTensor("output_norm.weight", [embd], Enumerable.Repeat(1f, embd).ToArray())
            .SetTensor("blk.0.attn_output.weight", [Spec.QueryLength, embd], new float[Spec.QueryLength * embd])
            .SetTensor("blk.0.ffn_down.weight", [Spec.FeedForwardLength, embd], new float[Spec.FeedForwardLength * embd])
            .ToArray();
    }

    /// <summary>The gpt2 synthetic vocabulary's byte tokens for <paramref name="text"/>'s UTF-8 bytes (token id = byte value).</summary>
    public static int[] ByteTokens(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
}
