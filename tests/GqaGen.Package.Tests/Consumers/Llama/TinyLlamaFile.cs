using System.Runtime.InteropServices;
using GqaGen.Gguf;

namespace LlamaConsumer;

/// <summary>
/// Writes a tiny <c>llama</c>-architecture GGUF file with random F32 weights and a byte-level ("gpt2") vocabulary,
/// using only the public <see cref="GgufWriter"/>: the metadata keys and tensor names llama.cpp's converter writes.
/// </summary>
internal static class TinyLlamaFile
{
    public const int Embedding = 32;
    public const int Layers = 2;
    public const int Heads = 4;
    public const int KvGroups = 2;
    public const int HeadDim = Embedding / Heads;
    public const int FeedForward = 64;

    public static void Write(string path, int seed)
    {
        List<string> tokens = ByteTokens();
        // A few merges, so the BPE has something to do: "Ġt" (" t"), "he", "Ġthe" (" the").
        string[] merges = ["Ġ t", "h e", "Ġt he"];
        foreach (string merge in merges)
            tokens.Add(merge.Replace(" ", ""));
        int bos = tokens.Count, eos = tokens.Count + 1;
        tokens.Add("<|bos|>");
        tokens.Add("<|eos|>");
        var types = Enumerable.Repeat(1, tokens.Count).ToArray();   // 1 = normal
        types[bos] = types[eos] = 3;                                // 3 = control
        int vocabulary = tokens.Count;

        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        writer.AddString("general.name", "package-test tiny llama");
        writer.AddUInt32("llama.context_length", 256);
        writer.AddUInt32("llama.embedding_length", Embedding);
        writer.AddUInt32("llama.block_count", Layers);
        writer.AddUInt32("llama.feed_forward_length", FeedForward);
        writer.AddUInt32("llama.attention.head_count", Heads);
        writer.AddUInt32("llama.attention.head_count_kv", KvGroups);
        writer.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        writer.AddFloat32("llama.rope.freq_base", 10000f);
        writer.AddUInt32("llama.vocab_size", (uint)vocabulary);

        writer.AddString("tokenizer.ggml.model", "gpt2");
        writer.AddString("tokenizer.ggml.pre", "gpt2");
        writer.AddStringArray("tokenizer.ggml.tokens", tokens);
        writer.AddInt32Array("tokenizer.ggml.token_type", types);
        writer.AddStringArray("tokenizer.ggml.merges", merges);
        writer.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        writer.AddUInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        writer.AddBool("tokenizer.ggml.add_bos_token", true);

        var random = new Random(seed);
        // GGUF lists dimensions innermost first: a matrix of `rows` outputs over `columns` inputs is [columns, rows].
        void Matrix(string name, int rows, int columns) =>
            writer.AddTensor(name, GgmlType.F32, [columns, rows], Floats(rows * columns, 0f, 1f / MathF.Sqrt(columns)));
        void Norm(string name) =>
            writer.AddTensor(name, GgmlType.F32, [Embedding], Floats(Embedding, 1f, 0.1f));
        ReadOnlyMemory<byte> Floats(int count, float center, float spread)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++)
                values[i] = center + spread * (random.NextSingle() * 2 - 1);
            return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }

        Matrix("token_embd.weight", vocabulary, Embedding);
        Norm("output_norm.weight");
        Matrix("output.weight", vocabulary, Embedding);
        for (int layer = 0; layer < Layers; layer++)
        {
            string block = $"blk.{layer}.";
            Norm(block + "attn_norm.weight");
            Matrix(block + "attn_q.weight", Heads * HeadDim, Embedding);
            Matrix(block + "attn_k.weight", KvGroups * HeadDim, Embedding);
            Matrix(block + "attn_v.weight", KvGroups * HeadDim, Embedding);
            Matrix(block + "attn_output.weight", Embedding, Heads * HeadDim);
            Norm(block + "ffn_norm.weight");
            Matrix(block + "ffn_gate.weight", FeedForward, Embedding);
            Matrix(block + "ffn_up.weight", FeedForward, Embedding);
            Matrix(block + "ffn_down.weight", Embedding, FeedForward);
        }
        writer.WriteTo(path);
    }

    /// <summary>The 256 byte tokens, token i spelling byte i in GPT-2's byte-to-unicode mapping (openai/gpt-2
    /// encoder.py <c>bytes_to_unicode</c>): printable bytes stand for themselves, the other 68 become U+0100 onwards.</summary>
    private static List<string> ByteTokens()
    {
        var tokens = new List<string>(256);
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            tokens.Add(((char)(printable ? b : next++)).ToString());
        }
        return tokens;
    }
}
