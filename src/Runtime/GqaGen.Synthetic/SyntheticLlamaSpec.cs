using GqaGen.Gguf;

namespace GqaGen.Synthetic;

/// <summary>
/// The blueprint of a synthetic Llama-architecture GGUF model: its layout, weight type, tokenizer and the seed of
/// its random weights. <see cref="SyntheticLlama"/> writes it; the same spec always gives the same bytes.
/// </summary>
/// <param name="EmbeddingLength">Width of the residual stream (<c>llama.embedding_length</c>).</param>
/// <param name="Layers">Transformer blocks (<c>llama.block_count</c>).</param>
/// <param name="Heads">Query heads, H (<c>llama.attention.head_count</c>).</param>
/// <param name="KvGroups">K/V heads, G, dividing H (<c>llama.attention.head_count_kv</c>).</param>
/// <param name="HeadDim">Elements per head, d, even so that RoPE can rotate pairs; also the rotary dimension count.</param>
/// <param name="FeedForwardLength">Hidden width of the SwiGLU MLP (<c>llama.feed_forward_length</c>).</param>
/// <param name="WeightType">Type of every 2-D matrix: F32, F16, BF16, Q8_0, or a block type of
/// <see cref="Quantizers.GgmlQuantization"/> (Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K); with a
/// <see cref="Mix"/>, the preset's base type. Norm vectors are always F32, as llama.cpp's converter stores them.</param>
/// <param name="TokenizerModel"><c>"gpt2"</c> (byte-level BPE) or <c>"llama"</c> (SentencePiece), the synthetic
/// vocabulary written as <c>tokenizer.ggml.model</c>.</param>
/// <param name="VocabularySize">Tokens in the vocabulary: rows of <c>token_embd</c> and <c>output</c>.</param>
/// <param name="Seed">Seed of the random weights.</param>
/// <param name="TiedOutput">When true there is no <c>output.weight</c>; the head reuses <c>token_embd.weight</c>.</param>
/// <param name="RopeFreqBase">RoPE base frequency (<c>llama.rope.freq_base</c>).</param>
/// <param name="ContextLength">Training context written as <c>llama.context_length</c>.</param>
/// <param name="RmsNormEpsilon">Epsilon of every RMS norm (<c>llama.attention.layer_norm_rms_epsilon</c>).</param>
public sealed record SyntheticLlamaSpec(
    int EmbeddingLength, int Layers, int Heads, int KvGroups, int HeadDim, int FeedForwardLength,
    GgmlType WeightType,
    string TokenizerModel,
    int VocabularySize, int Seed,
    bool TiedOutput = false,
    float RopeFreqBase = 10000f, int ContextLength = 2048, float RmsNormEpsilon = 1e-5f)
{
    /// <summary>The tokenizer model name of a byte-level BPE (GPT-2 style) vocabulary.</summary>
    public const string Gpt2Tokenizer = "gpt2";

    /// <summary>The tokenizer model name of a SentencePiece (Llama style) vocabulary.</summary>
    public const string LlamaTokenizer = "llama";

    /// <summary>The default architecture: llama.cpp's <c>llama</c>.</summary>
    public const string LlamaArchitecture = "llama";

    /// <summary>llama.cpp's <c>qwen2</c> architecture (see <see cref="Architecture"/>).</summary>
    public const string Qwen2Architecture = "qwen2";

    /// <summary>
    /// The <c>general.architecture</c> written: <see cref="LlamaArchitecture"/> (the default) or
    /// <see cref="Qwen2Architecture"/>, which writes <c>qwen2.*</c> keys, random F32 biases on every block's Q, K and V
    /// projections (<c>blk.N.attn_q.bias</c>, …), and, for the gpt2 tokenizer, Qwen2's pre-tokenizer
    /// (<c>tokenizer.ggml.pre = "qwen2"</c>) with add-BOS off, as Qwen's GGUF files have it. A llama spec's file is
    /// exactly as before this option existed.
    /// </summary>
    public string Architecture { get; init; } = LlamaArchitecture;

    /// <summary>Whether the model has Q/K/V biases (the <c>qwen2</c> architecture).</summary>
    public bool HasQkvBias => Architecture == Qwen2Architecture;

    /// <summary>The samples' built-in model: about 13 MB of F32, small enough to create in memory at start-up.
    /// 8 query heads share 2 K/V heads of 32 elements (embedding 256), 4 layers, MLP 768, a 512-token GPT-2 style
    /// vocabulary, seed 1234.</summary>
    public static SyntheticLlamaSpec BuiltIn { get; } = new(
        EmbeddingLength: 256, Layers: 4, Heads: 8, KvGroups: 2, HeadDim: 32, FeedForwardLength: 768,
        WeightType: GgmlType.F32, TokenizerModel: Gpt2Tokenizer, VocabularySize: 512, Seed: 1234);

    /// <summary>
    /// A model with TinyLlama-1.1B's shape and random weights, for benchmarks at a real model's size (about 2.2 GB in
    /// F16): 32000-token SentencePiece vocabulary, embedding 2048, 22 layers, 32 query heads sharing 4 K/V heads of
    /// 64, MLP 5632, RoPE base 10000, context 2048, RMS epsilon 1e-5 (the values of TinyLlama-1.1B-Chat-v1.0's
    /// config.json on Hugging Face).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not a supported weight type.</exception>
    public static SyntheticLlamaSpec TinyLlamaShaped(GgmlType type, int seed = 1)
    {
        var spec = new SyntheticLlamaSpec(
            EmbeddingLength: 2048, Layers: 22, Heads: 32, KvGroups: 4, HeadDim: 64, FeedForwardLength: 5632,
            WeightType: type, TokenizerModel: LlamaTokenizer, VocabularySize: 32000, Seed: seed,
            TiedOutput: false, RopeFreqBase: 10000f, ContextLength: 2048, RmsNormEpsilon: 1e-5f);
        spec.Validate();
        return spec;
    }

    /// <summary>
    /// The chat template written as <c>tokenizer.chat_template</c>, or null (the default) for none. Every
    /// <c>&lt;|name|&gt;</c> marker the template writes literally (<see cref="ChatControlTokens"/>) becomes a control
    /// token of the vocabulary, so the tokenizer parses it as one special token and, for ones such as
    /// <c>&lt;|im_end|&gt;</c>, treats it as end of generation: e.g.
    /// <c>SyntheticLlamaSpec.BuiltIn with { ChatTemplate = SyntheticChatTemplates.ChatML }</c>.
    /// </summary>
    /// <remarks>The control tokens take the last ids before the gpt2 vocabulary's BOS and EOS (or the last ids of the
    /// llama vocabulary), in place of the last learned tokens; the vocabulary size is unchanged. Without a template
    /// the file is exactly as before this option existed.</remarks>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// How each matrix's type is chosen: <see cref="SyntheticWeightMix.Uniform"/> (the default: all
    /// <see cref="WeightType"/>, files exactly as before this option existed), or a llama.cpp preset such as
    /// <see cref="SyntheticWeightMix.Q4_K_M"/> (with <see cref="WeightType"/> = Q4_K), e.g.
    /// <c>spec with { WeightType = GgmlType.Q4_K, Mix = SyntheticWeightMix.Q4_K_M }</c>. The per-tensor rule is
    /// <see cref="SyntheticWeightMixes.MatrixType"/>.
    /// </summary>
    public SyntheticWeightMix Mix { get; init; }

    /// <summary>The control tokens <see cref="ChatTemplate"/> adds to the vocabulary
    /// (<see cref="SyntheticChatTemplates.ControlTokens"/>); empty without a template.</summary>
    public IReadOnlyList<string> ChatControlTokens => SyntheticChatTemplates.ControlTokens(ChatTemplate);

    /// <summary>Query heads per K/V head, H / G.</summary>
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>Floats in one token's query (and attention output): H · d.</summary>
    public int QueryLength => Heads * HeadDim;

    /// <summary>Floats in one token's keys (or values): G · d.</summary>
    public int KvLength => KvGroups * HeadDim;

    /// <summary>The number of weights in the model, norm vectors included.</summary>
    public long ParameterCount
    {
        get
        {
            long embd = EmbeddingLength;
            long perLayer = 2 * embd                               // attn_norm, ffn_norm
                + embd * QueryLength + 2 * embd * KvLength          // attn_q, attn_k, attn_v
                + (HasQkvBias ? QueryLength + 2L * KvLength : 0)   // attn_q/k/v.bias
                + (long)QueryLength * embd                          // attn_output
                + 3 * embd * FeedForwardLength;                     // ffn_gate, ffn_up, ffn_down
            long head = (TiedOutput ? 0 : embd * VocabularySize) + embd; // output, output_norm
            return embd * VocabularySize + Layers * perLayer + head;
        }
    }

    /// <summary>Checks every field, throwing an exception that names the bad value and the rule it breaks.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or a float is not positive and finite.</exception>
    /// <exception cref="ArgumentException">The fields do not fit together (H not divisible by G, odd head dimension,
    /// unsupported weight type, mix or tokenizer, a block type with a row length that is not a whole number of its
    /// blocks).</exception>
    public void Validate()
    {
        RequirePositive(EmbeddingLength, nameof(EmbeddingLength));
        RequirePositive(Layers, nameof(Layers));
        RequirePositive(Heads, nameof(Heads));
        RequirePositive(KvGroups, nameof(KvGroups));
        RequirePositive(HeadDim, nameof(HeadDim));
        RequirePositive(FeedForwardLength, nameof(FeedForwardLength));
        RequirePositive(VocabularySize, nameof(VocabularySize));
        RequirePositive(ContextLength, nameof(ContextLength));
        RequirePositiveFinite(RopeFreqBase, nameof(RopeFreqBase));
        RequirePositiveFinite(RmsNormEpsilon, nameof(RmsNormEpsilon));

        if (Heads % KvGroups != 0)
            throw new ArgumentException(
                $"KvGroups ({KvGroups}) must divide Heads ({Heads}): each K/V head serves Heads / KvGroups query heads.", nameof(KvGroups));
        if (HeadDim % 2 != 0)
            throw new ArgumentException(
                $"HeadDim must be even, because RoPE rotates pairs of elements; got {HeadDim}.", nameof(HeadDim));
        if (!WeightEncoder.IsSupported(WeightType))
            throw new ArgumentException(
                $"WeightType {WeightType} is not supported for synthetic models; use F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K or Q6_K.", nameof(WeightType));
        if (Mix == SyntheticWeightMix.Q4_K_M && WeightType != GgmlType.Q4_K)
            throw new ArgumentException(
                $"Mix Q4_K_M quantizes to Q4_K and Q6_K, so WeightType must be Q4_K; got {WeightType}. Set WeightType = GgmlType.Q4_K.", nameof(WeightType));
        if (Mix is not (SyntheticWeightMix.Uniform or SyntheticWeightMix.Q4_K_M))
            throw new ArgumentOutOfRangeException(nameof(Mix), Mix, $"Mix must be Uniform or Q4_K_M; got {Mix}.");
        if (Architecture is not (LlamaArchitecture or Qwen2Architecture))
            throw new ArgumentException(
                $"Architecture must be \"{LlamaArchitecture}\" or \"{Qwen2Architecture}\"; got {(Architecture is null ? "null" : $"\"{Architecture}\"")}.", nameof(Architecture));
        if (TokenizerModel is not (Gpt2Tokenizer or LlamaTokenizer))
            throw new ArgumentException(
                $"TokenizerModel must be \"{Gpt2Tokenizer}\" or \"{LlamaTokenizer}\"; got {(TokenizerModel is null ? "null" : $"\"{TokenizerModel}\"")}.", nameof(TokenizerModel));

        // The synthetic vocabularies' fixed tokens (SyntheticVocabulary.Gpt2/SyntheticLlama): 256 bytes plus BOS and
        // EOS for gpt2; <unk>, <s>, </s> and 256 byte-fallback tokens for llama.
        if (ChatTemplate is { Length: 0 })
            throw new ArgumentException(
                "ChatTemplate is empty; give a template text (e.g. SyntheticChatTemplates.ChatML) or leave it null for a model without one.", nameof(ChatTemplate));
        int controlTokens = ChatControlTokens.Count;
        int minimumVocabulary = (TokenizerModel == Gpt2Tokenizer ? 258 : 259) + controlTokens;
        if (VocabularySize < minimumVocabulary)
            throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize,
                $"A synthetic \"{TokenizerModel}\" vocabulary needs at least {minimumVocabulary} tokens (its byte and special tokens{(controlTokens > 0 ? $", and the chat template's {controlTokens} control tokens" : "")}); got {VocabularySize}.");

        // Every matrix row (a GGUF tensor's first dimension) must be whole blocks; a mix falls back per tensor instead.
        if (Mix == SyntheticWeightMix.Uniform && Quantizers.GgmlQuantization.IsSupported(WeightType))
        {
            RequireWholeBlockRows(EmbeddingLength, nameof(EmbeddingLength), "token_embd, attn_q/k/v, ffn_gate/up and output");
            RequireWholeBlockRows(QueryLength, "Heads * HeadDim", "attn_output");
            RequireWholeBlockRows(FeedForwardLength, nameof(FeedForwardLength), "ffn_down");
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1; got {value}.");
    }

    private static void RequirePositiveFinite(float value, string name)
    {
        if (!(value > 0) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite; got {value}.");
    }

    private void RequireWholeBlockRows(int rowLength, string name, string tensors)
    {
        int block = Quantizers.GgmlQuantization.BlockElements(WeightType);
        if (rowLength % block != 0)
            throw new ArgumentException(
                $"{WeightType} stores blocks of {block} values, so {name} (the row length of {tensors}) must be a multiple of {block}; got {rowLength}.",
                name == "Heads * HeadDim" ? nameof(HeadDim) : name);
    }
}
