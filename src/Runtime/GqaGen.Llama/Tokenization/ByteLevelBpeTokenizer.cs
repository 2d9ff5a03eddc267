using System.Text;
using Microsoft.ML.Tokenizers;

namespace GqaGen.Llama.Tokenization;

/// <summary>
/// The <c>"gpt2"</c> tokenizer: byte-level BPE with ranked merges (GPT-2, Llama 3), as llama.cpp's
/// <c>llm_tokenizer_bpe_session</c> runs it. Text is split into words by the pre-tokenizer
/// (<see cref="BpePreTokenizer"/>), each word's UTF-8 bytes are spelled in GPT-2's byte characters, and the merges
/// are applied lowest rank first, ties to the leftmost pair.
/// </summary>
/// <remarks>
/// The merging within a word is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with
/// <see cref="BpeOptions.ByteLevel"/>, whose rank-then-position order is llama.cpp's. The word splitting is this
/// library's (see <see cref="BpePreTokenizer"/> for why not the package's regex pre-tokenizer), and so is
/// <c>ignore_merges</c>, which the package lacks: for Llama 3's pre-tokenizer llama.cpp emits a word that is itself
/// a token as that token without merging.
/// </remarks>
internal sealed class ByteLevelBpeTokenizer : GgufTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly BpePreTokenizerKind _preTokenizer;
    private readonly bool _ignoreMerges;

    public ByteLevelBpeTokenizer(TokenizerData data)
        : base(data, DecodePiece, removeLeadingSpace: data.AddSpacePrefix ?? false)
    {
        _preTokenizer = BpePreTokenizer.Parse(data.PreTokenizer);
        _ignoreMerges = _preTokenizer == BpePreTokenizerKind.Llama3;
        PreTokenizerName = data.PreTokenizer is null or "" ? "gpt2" : data.PreTokenizer;

        var vocabulary = new Dictionary<string, int>(data.Tokens.Count, StringComparer.Ordinal);
        // A text listed twice keeps its first id and a merge listed twice its first rank (the package would throw on
        // either); real vocabularies have neither, but a damaged file must fail or load, not crash.
        for (int id = 0; id < data.Tokens.Count; id++)
            vocabulary.TryAdd(TokenizerData.EffectiveText(data.Tokens[id], id), id);
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = data.Merges?.Distinct(StringComparer.Ordinal),
            ByteLevel = true,
        });
    }

    private string PreTokenizerName { get; }

    /// <inheritdoc/>
    public override string Kind =>
        $"gpt2 (byte-level BPE, pre-tokenizer \"{PreTokenizerName}\"; merges by Microsoft.ML.Tokenizers' BpeTokenizer, word splitting ported from llama.cpp)";

    /// <summary>llama.cpp's <c>token_to_piece</c> for byte-level vocabularies, special tokens hidden.</summary>
    private static byte[] DecodePiece(string text, GgufTokenType type) => type switch
    {
        GgufTokenType.Normal => ByteLevelEncoding.Decode(text),
        GgufTokenType.UserDefined => Encoding.UTF8.GetBytes(text),
        _ => [], // control, unknown, byte, unused and undefined tokens print nothing in llama.cpp's BPE path
    };

    private protected override void EncodeText(ReadOnlySpan<char> text, bool atStartOrAfterSpecial, List<int> output)
    {
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.Split(text, _preTokenizer, words);
        foreach (var (start, length) in words)
        {
            ReadOnlySpan<char> word = text.Slice(start, length);
            if (_ignoreMerges && TokenIds.TryGetValue(ByteLevelEncoding.Encode(word), out int id))
            {
                output.Add(id);
                continue;
            }
            output.AddRange(_bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }
}
