using GqaGen.Gguf;

namespace GqaGen.Llama.Tokenization;

public sealed partial record TokenizerData
{
    /// <summary>Reads the <c>tokenizer.ggml.*</c> metadata of <paramref name="file"/> and validates it.</summary>
    /// <remarks>
    /// Absent optional keys take llama.cpp's defaults (llama_vocab::impl::load): for <c>"llama"</c>, BOS 1, EOS 2,
    /// unknown 0 and add-BOS on; for <c>"gpt2"</c>, add-BOS on only for the Llama 3 pre-tokenizers. A <c>"gpt2"</c>
    /// file must name its BOS and EOS tokens: llama.cpp's fallback (token 11 for both) is GPT-2's <c>","</c>, never
    /// right for another vocabulary, so this reader refuses instead of guessing.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is null.</exception>
    /// <exception cref="NotSupportedException">The model or pre-tokenizer is one this library does not run
    /// (see <see cref="Validate"/>).</exception>
    /// <exception cref="GgufTokenizerException">A required key is missing or the data is inconsistent; the
    /// exception names the key.</exception>
    /// <exception cref="GgufFormatException">A key holds a value of the wrong GGUF type (the message names it).</exception>
    public static TokenizerData FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.TryGet<string>(TokenizerKeys.Model, out var model))
            throw new GgufTokenizerException(TokenizerKeys.Model, $"the key is missing, so the file has no tokenizer; expected \"{LlamaModel}\" or \"{Gpt2Model}\".");
        EnsureSupportedModel(model);
        bool isLlama = model == LlamaModel;

        if (!file.TryGetArray(TokenizerKeys.Tokens, out IReadOnlyList<string>? tokens))
            throw new GgufTokenizerException(TokenizerKeys.Tokens, "the key is missing; a tokenizer needs its token list.");
        file.TryGetArray(TokenizerKeys.Scores, out IReadOnlyList<float>? scores);
        file.TryGetArray(TokenizerKeys.TokenTypes, out IReadOnlyList<int>? tokenTypes);
        file.TryGetArray(TokenizerKeys.Merges, out IReadOnlyList<string>? merges);
        file.TryGet(TokenizerKeys.PreTokenizer, out string? pre);

        int bos = ReadTokenId(file, TokenizerKeys.BosId) ?? (isLlama ? 1 : throw MissingSpecialToken(TokenizerKeys.BosId));
        int eos = ReadTokenId(file, TokenizerKeys.EosId) ?? (isLlama ? 2 : throw MissingSpecialToken(TokenizerKeys.EosId));
        int? unknown = ReadTokenId(file, TokenizerKeys.UnknownId) ?? (isLlama ? 0 : null);
        int? padding = ReadTokenId(file, TokenizerKeys.PaddingId);
        bool addBos = file.TryGet(TokenizerKeys.AddBos, out bool storedAddBos)
            ? storedAddBos
            : isLlama || BpePreTokenizer.IsLlama3Family(pre);
        file.TryGet(TokenizerKeys.AddEos, out bool addEos);
        bool? addSpacePrefix = file.TryGet(TokenizerKeys.AddSpacePrefix, out bool storedPrefix) ? storedPrefix : null;

        var data = new TokenizerData(model, tokens, scores, tokenTypes, merges, bos, eos, unknown, padding, addBos, pre)
        {
            AddEos = addEos,
            AddSpacePrefix = addSpacePrefix,
        };
        data.Validate();
        return data;
    }

    /// <summary>Adds this data to <paramref name="writer"/> as <c>tokenizer.ggml.*</c> metadata, the keys
    /// <see cref="FromGguf"/> reads (absent optional lists and ids are not written).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    /// <exception cref="GgufTokenizerException">The data is inconsistent (see <see cref="Validate"/>).</exception>
    /// <exception cref="NotSupportedException">The model or pre-tokenizer is not supported (see <see cref="Validate"/>).</exception>
    public void WriteTo(GgufWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Validate();
        writer.AddString(TokenizerKeys.Model, Model);
        if (PreTokenizer is not null)
            writer.AddString(TokenizerKeys.PreTokenizer, PreTokenizer);
        writer.AddStringArray(TokenizerKeys.Tokens, Tokens);
        if (Scores is not null)
            writer.AddFloat32Array(TokenizerKeys.Scores, Scores);
        if (TokenTypes is not null)
            writer.AddInt32Array(TokenizerKeys.TokenTypes, TokenTypes);
        if (Merges is not null)
            writer.AddStringArray(TokenizerKeys.Merges, Merges);
        // llama.cpp's converter writes token ids as UINT32.
        writer.AddUInt32(TokenizerKeys.BosId, (uint)BosId);
        writer.AddUInt32(TokenizerKeys.EosId, (uint)EosId);
        if (UnknownId is int unknown)
            writer.AddUInt32(TokenizerKeys.UnknownId, (uint)unknown);
        if (PaddingId is int padding)
            writer.AddUInt32(TokenizerKeys.PaddingId, (uint)padding);
        writer.AddBool(TokenizerKeys.AddBos, AddBos);
        writer.AddBool(TokenizerKeys.AddEos, AddEos);
        if (AddSpacePrefix is bool addSpacePrefix)
            writer.AddBool(TokenizerKeys.AddSpacePrefix, addSpacePrefix);
    }

    private static int? ReadTokenId(GgufFile file, string key)
    {
        if (!file.TryGetValue(key, out GgufValue? value))
            return null;
        long id = value.AsInteger();
        if (id is < 0 or > int.MaxValue)
            throw new GgufTokenizerException(key, $"the value is {id}, which is not a token id (0 to {int.MaxValue}).");
        return (int)id;
    }

    private static GgufTokenizerException MissingSpecialToken(string key) =>
        new(key, $"the key is missing; a \"{Gpt2Model}\" vocabulary must name this token, as llama.cpp's converter writes it.");
}
