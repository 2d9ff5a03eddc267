namespace GqaGen.Llama.Tokenization;

/// <summary>The tokenizer data as GGUF stores it: the <c>tokenizer.ggml.*</c> metadata of a llama.cpp model file.</summary>
/// <remarks>
/// Lists are held as given; <see cref="GgufTokenizer.Create"/> copies what it needs, so a tokenizer does not change
/// if they do. Equality is by value: two instances are equal when every list holds the same elements (scores
/// compared bit for bit), which is what a GGUF round trip should preserve.
/// </remarks>
/// <param name="Model"><c>tokenizer.ggml.model</c>: <c>"llama"</c> (SentencePiece BPE with scores and
/// <c>&lt;0xNN&gt;</c> byte fallback) or <c>"gpt2"</c> (byte-level BPE with merges).</param>
/// <param name="Tokens"><c>tokenizer.ggml.tokens</c>: the text of every token, indexed by id.</param>
/// <param name="Scores"><c>tokenizer.ggml.scores</c>: one score per token (SentencePiece merges the pair whose
/// joined piece scores highest); absent scores count as 0, as in llama.cpp.</param>
/// <param name="TokenTypes"><c>tokenizer.ggml.token_type</c>: one <see cref="GgufTokenType"/> per token; absent
/// types count as <see cref="GgufTokenType.Normal"/>, as in llama.cpp.</param>
/// <param name="Merges"><c>tokenizer.ggml.merges</c>: <c>"left right"</c> pairs, highest priority first; required
/// for <c>"gpt2"</c>, ignored for <c>"llama"</c>.</param>
/// <param name="BosId"><c>tokenizer.ggml.bos_token_id</c>: the beginning-of-sequence token.</param>
/// <param name="EosId"><c>tokenizer.ggml.eos_token_id</c>: the end-of-sequence token.</param>
/// <param name="UnknownId"><c>tokenizer.ggml.unknown_token_id</c>, if any.</param>
/// <param name="PaddingId"><c>tokenizer.ggml.padding_token_id</c>, if any.</param>
/// <param name="AddBos"><c>tokenizer.ggml.add_bos_token</c>: whether the model expects BOS before a prompt.</param>
/// <param name="PreTokenizer"><c>tokenizer.ggml.pre</c>: how a <c>"gpt2"</c> vocabulary splits text into words
/// before merging: <c>"llama-bpe"</c> (also <c>"llama3"</c>, <c>"llama-v3"</c>, <c>"falcon3"</c>) for Llama 3's
/// regex, <c>"gpt2"</c>, <c>"gpt-2"</c>, <c>"default"</c> or none for GPT-2's. Ignored for <c>"llama"</c>.</param>
public sealed partial record TokenizerData(
    string Model,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float>? Scores,
    IReadOnlyList<int>? TokenTypes,
    IReadOnlyList<string>? Merges,
    int BosId, int EosId, int? UnknownId, int? PaddingId,
    bool AddBos, string? PreTokenizer)
{
    /// <summary>The <see cref="Model"/> of a SentencePiece BPE vocabulary (Llama 1 and 2, Mistral, TinyLlama).</summary>
    public const string LlamaModel = "llama";

    /// <summary>The <see cref="Model"/> of a byte-level BPE vocabulary (GPT-2, Llama 3).</summary>
    public const string Gpt2Model = "gpt2";

    /// <summary><c>tokenizer.ggml.add_eos_token</c>: whether the model's own tokenizer appends EOS. Kept for a
    /// faithful round trip; <see cref="GgufTokenizer.Encode(string, bool)"/> never appends EOS, because a prompt
    /// that ends in EOS asks the model to stop before it starts.</summary>
    public bool AddEos { get; init; }

    /// <summary><c>tokenizer.ggml.add_space_prefix</c>, if the file has it: whether SentencePiece puts a space
    /// before the text (and <see cref="GgufTokenizer.Decode"/> removes it again). When absent, llama.cpp's default
    /// applies: on for <c>"llama"</c>, off for <c>"gpt2"</c>.</summary>
    public bool? AddSpacePrefix { get; init; }

    /// <summary>The number of tokens, <c>Tokens.Count</c>.</summary>
    public int VocabularySize => Tokens.Count;

    /// <summary>The type of token <paramref name="id"/>: its <see cref="TokenTypes"/> entry, or
    /// <see cref="GgufTokenType.Normal"/> when the data has no types.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a token id.</exception>
    public GgufTokenType GetTokenType(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, Tokens.Count);
        return TokenTypes is null ? GgufTokenType.Normal : (GgufTokenType)TokenTypes[id];
    }

    /// <summary>The text llama.cpp uses for token <paramref name="id"/>: the stored text, or <c>[EMPTY_id]</c> for an
    /// empty one (llama_vocab::impl::load renames empty tokens so that every text stays a unique key).</summary>
    internal static string EffectiveText(string text, int id) => text.Length == 0 ? $"[EMPTY_{id}]" : text;

    /// <summary>Checks that the data describes a tokenizer this library can run, throwing an exception that names the
    /// GGUF key at fault, the value found and what was expected.</summary>
    /// <exception cref="NotSupportedException"><see cref="Model"/> is neither <c>"llama"</c> nor <c>"gpt2"</c>, or a
    /// <c>"gpt2"</c> vocabulary names a <see cref="PreTokenizer"/> this library does not implement.</exception>
    /// <exception cref="GgufTokenizerException">A list is missing, empty or of the wrong length, a token text repeats,
    /// a token id or type is out of range, a byte token is not <c>&lt;0xNN&gt;</c>, or a merge is malformed or
    /// refers to text that is not a token.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Model))
            throw new GgufTokenizerException(TokenizerKeys.Model, $"the model name is empty; expected \"{LlamaModel}\" or \"{Gpt2Model}\".");
        EnsureSupportedModel(Model);
        if (Tokens is null)
            throw new GgufTokenizerException(TokenizerKeys.Tokens, "the token list is missing.");
        int count = Tokens.Count;
        if (count == 0)
            throw new GgufTokenizerException(TokenizerKeys.Tokens, "the token list is empty; a vocabulary needs at least one token.");

        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            string text = EffectiveText(Tokens[id] ?? throw new GgufTokenizerException(TokenizerKeys.Tokens, $"token {id} is null."), id);
            if (!ids.TryAdd(text, id))
                throw new GgufTokenizerException(TokenizerKeys.Tokens,
                    $"tokens {ids[text]} and {id} are both \"{text}\"; every token text must be unique (llama.cpp asserts the same).");
        }

        if (Scores is not null && Scores.Count != count)
            throw new GgufTokenizerException(TokenizerKeys.Scores,
                $"there are {Scores.Count} scores for {count} tokens ({TokenizerKeys.Tokens}); expected one score per token.");
        if (TokenTypes is not null)
            ValidateTokenTypes(count);

        RequireTokenId(TokenizerKeys.BosId, BosId, count);
        RequireTokenId(TokenizerKeys.EosId, EosId, count);
        if (UnknownId is int unknown)
            RequireTokenId(TokenizerKeys.UnknownId, unknown, count);
        if (PaddingId is int padding)
            RequireTokenId(TokenizerKeys.PaddingId, padding, count);

        if (Model == Gpt2Model)
        {
            BpePreTokenizer.Parse(PreTokenizer);
            ValidateMerges(ids);
        }
    }

    /// <summary>Throws <see cref="NotSupportedException"/> unless <paramref name="model"/> is one this library runs.</summary>
    internal static void EnsureSupportedModel(string model)
    {
        if (model is not (LlamaModel or Gpt2Model))
            throw new NotSupportedException(
                $"Tokenizer model \"{model}\" ({TokenizerKeys.Model}) is not supported; supported are \"{LlamaModel}\" (SentencePiece BPE) and \"{Gpt2Model}\" (byte-level BPE).");
    }

    private void ValidateTokenTypes(int count)
    {
        if (TokenTypes!.Count != count)
            throw new GgufTokenizerException(TokenizerKeys.TokenTypes,
                $"there are {TokenTypes.Count} token types for {count} tokens ({TokenizerKeys.Tokens}); expected one type per token.");
        for (int id = 0; id < count; id++)
        {
            int type = TokenTypes[id];
            if (type is < (int)GgufTokenType.Undefined or > (int)GgufTokenType.Byte)
                throw new GgufTokenizerException(TokenizerKeys.TokenTypes,
                    $"token {id} has type {type}; expected 0 to 6 (undefined, normal, unknown, control, user-defined, unused, byte).");
            if (type == (int)GgufTokenType.Byte && Model == LlamaModel && !SentencePieceBpeTokenizer.TryParseByteToken(Tokens[id], out _))
                throw new GgufTokenizerException(TokenizerKeys.TokenTypes,
                    $"token {id} (\"{Tokens[id]}\") has the byte type but is not of the form <0xNN> with two hexadecimal digits.");
        }
    }

    private void ValidateMerges(Dictionary<string, int> ids)
    {
        if (Merges is null)
            throw new GgufTokenizerException(TokenizerKeys.Merges,
                $"a \"{Gpt2Model}\" (byte-level BPE) vocabulary needs its merges, and there are none.");
        for (int rank = 0; rank < Merges.Count; rank++)
        {
            string? merge = Merges[rank];
            int space = merge is null ? -1 : merge.IndexOf(' ', 1);
            if (merge is null || space < 0 || space == merge.Length - 1 || merge.IndexOf(' ', space + 1) >= 0)
                throw new GgufTokenizerException(TokenizerKeys.Merges,
                    $"merge {rank} is \"{merge}\"; expected two non-empty tokens separated by one space, as in \"Ġ t\".");
            string left = merge[..space], right = merge[(space + 1)..];
            foreach (string part in (ReadOnlySpan<string>)[left, right, left + right])
            {
                if (!ids.ContainsKey(part))
                    throw new GgufTokenizerException(TokenizerKeys.Merges,
                        $"merge {rank} (\"{merge}\") needs the token \"{part}\", which is not in {TokenizerKeys.Tokens}.");
            }
        }
    }

    private static void RequireTokenId(string key, int id, int count)
    {
        if ((uint)id >= (uint)count)
            throw new GgufTokenizerException(key, $"the token id is {id} but the vocabulary has {count} tokens (ids 0 to {count - 1}).");
    }

    /// <summary>Whether <paramref name="other"/> holds the same data: equal strings and flags, and lists with the same
    /// elements in the same order (scores compared bit for bit).</summary>
    public bool Equals(TokenizerData? other) =>
        other is not null
        && Model == other.Model && BosId == other.BosId && EosId == other.EosId
        && UnknownId == other.UnknownId && PaddingId == other.PaddingId
        && AddBos == other.AddBos && AddEos == other.AddEos && AddSpacePrefix == other.AddSpacePrefix
        && PreTokenizer == other.PreTokenizer
        && SameElements(Tokens, other.Tokens, static (a, b) => string.Equals(a, b, StringComparison.Ordinal))
        && SameElements(Scores, other.Scores, static (a, b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b))
        && SameElements(TokenTypes, other.TokenTypes, static (a, b) => a == b)
        && SameElements(Merges, other.Merges, static (a, b) => string.Equals(a, b, StringComparison.Ordinal));

    /// <summary>A hash of the model, the special ids and the list lengths (consistent with <see cref="Equals(TokenizerData?)"/>).</summary>
    public override int GetHashCode() =>
        HashCode.Combine(Model, Tokens?.Count, Scores?.Count, TokenTypes?.Count, Merges?.Count, BosId, EosId, AddBos);

    private static bool SameElements<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b, Func<T, T, bool> equal)
    {
        if (ReferenceEquals(a, b))
            return true;
        if (a is null || b is null || a.Count != b.Count)
            return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (!equal(a[i], b[i]))
                return false;
        }
        return true;
    }
}
