using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

/// <summary>
/// A small hand-made Qwen2-style vocabulary (<c>tokenizer.ggml.model = "gpt2"</c>, <c>pre = "qwen2"</c>): the 256
/// byte tokens, merges that build whole words, multi-digit numbers ("12", "123", "2024"), spaces, line breaks, CJK
/// and an emoji from their bytes, then Qwen's three control tokens with Qwen2.5-Instruct's settings (BOS
/// <c>&lt;|endoftext|&gt;</c>, EOS <c>&lt;|im_end|&gt;</c>, padding <c>&lt;|endoftext|&gt;</c>, add-BOS off). The
/// multi-digit merges exist so that a pre-tokenizer which did not split digits one by one would use them.
/// </summary>
/// <remarks>It is written to a GGUF by <see cref="WriteGguf"/> (with <c>qwen2.*</c> keys, so that llama.cpp accepts
/// the file with <c>vocab_only</c>); <see cref="Qwen2LlamaCppVectorTests"/> holds llama.cpp's token ids for it.</remarks>
public static class Qwen2TestVocabulary
{
    /// <summary>Words the merges build, spelled in text; each gets merges adding one character at a time.</summary>
    private static readonly string[] Words =
    [
        "Hello", " world", " the", "'s", "'re", "'ll", "12", "123", "2024", " 1", "  ", "\n\n", ".\n", " Hello",
        "user", "assistant", " there", "你好", "世界", "😀", "!!", " and", "don", "'t", "ing", " spaces",
    ];

    /// <summary>The control tokens, in the order Qwen2 numbers them after its normal tokens.</summary>
    public static readonly string[] ControlTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>The vocabulary: byte tokens (id = byte), merged tokens in order of first creation, control tokens.</summary>
    public static TokenizerData Create()
    {
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++)
            tokens.Add(ByteLevelEncoding.ToChar((byte)b).ToString());
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        var merges = new List<string>();
        foreach (string word in Words)
        {
            string spelled = ByteLevelEncoding.Encode(word);
            string prefix = spelled[..1];
            for (int i = 1; i < spelled.Length; i++)
            {
                string next = spelled[i].ToString();
                if (known.Add(prefix + next))
                {
                    merges.Add($"{prefix} {next}");
                    tokens.Add(prefix + next);
                }
                prefix += next;
            }
        }
        int normal = tokens.Count;
        tokens.AddRange(ControlTokens);
        var types = new int[tokens.Count];
        Array.Fill(types, (int)GgufTokenType.Normal);
        types.AsSpan(normal).Fill((int)GgufTokenType.Control);
        int endOfText = normal, imEnd = normal + 2;
        return new TokenizerData(TokenizerData.Gpt2Model, tokens, Scores: null, types, merges,
            BosId: endOfText, EosId: imEnd, UnknownId: null, PaddingId: endOfText, AddBos: false, PreTokenizer: "qwen2");
    }

    /// <summary>Writes the vocabulary as a model-less GGUF llama.cpp can load with <c>vocab_only</c>
    /// (<c>llama-tokenize</c>): <c>general.architecture = "qwen2"</c> and the hyperparameter keys it reads first.</summary>
    public static void WriteGguf(Stream destination)
    {
        var data = Create();
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "qwen2");
        writer.AddString("general.name", "qwen2 test vocabulary");
        writer.AddUInt32("qwen2.context_length", 512);
        writer.AddUInt32("qwen2.embedding_length", 64);
        writer.AddUInt32("qwen2.block_count", 1);
        writer.AddUInt32("qwen2.feed_forward_length", 128);
        writer.AddUInt32("qwen2.attention.head_count", 4);
        writer.AddUInt32("qwen2.attention.head_count_kv", 2);
        writer.AddFloat32("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
        writer.AddFloat32("qwen2.rope.freq_base", 1000000f);
        data.WriteTo(writer);
        writer.WriteTo(destination);
    }
}
