using System.Buffers;
using System.Text;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tokenization;

/// <summary>
/// A tokenizer built from the vocabulary a GGUF file embeds, behaving as llama.cpp's (llama-vocab.cpp):
/// <c>"llama"</c> vocabularies are SentencePiece BPE (<c>llm_tokenizer_spm</c>), <c>"gpt2"</c> vocabularies
/// byte-level BPE (<c>llm_tokenizer_bpe</c>).
/// </summary>
/// <remarks>
/// <para>Encoding: special tokens are cut out of the text first (see <see cref="Encode(string, bool, bool)"/>), then each
/// run of text is tokenized by the vocabulary's algorithm. EOS is never appended.</para>
/// <para>Decoding: each token becomes the bytes llama.cpp's <c>token_to_piece</c> gives it with special tokens
/// hidden (control, unknown and unused tokens give nothing), the bytes are joined and read as UTF-8. Unlike
/// llama.cpp's <c>llama_detokenize</c>, <see cref="Decode"/> does not apply the <c>clean_spaces</c> pass that
/// removes the space before <c>?!.,</c> in byte-level vocabularies: llama.cpp's own command-line and server output
/// joins pieces without it, and without it decoding is the exact inverse of encoding.</para>
/// <para>Instances are immutable and may be used from several threads at once; a <see cref="TokenStreamer"/> may not.</para>
/// </remarks>
public abstract class GgufTokenizer
{
    // Texts llama.cpp treats as end of generation whatever their stored type (llama_vocab::impl::load: the
    // special_eog_ids list, plus DeepSeek's end-of-sentence token, which it detects as EOT).
    private static readonly string[] EndOfGenerationTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "<｜end▁of▁sentence｜>"];

    private readonly string[] _texts;
    private readonly byte[][] _pieces;
    private readonly bool[] _endOfGeneration;
    private readonly SpecialTokenSplitter _specialTokens;
    private readonly bool _removeLeadingSpace;

    /// <summary>Builds the vocabulary tables shared by both algorithms.</summary>
    /// <param name="data">Validated tokenizer data.</param>
    /// <param name="pieceBytes">What a token decodes to, from its text and type (llama.cpp's <c>token_to_piece</c>
    /// with special tokens hidden).</param>
    /// <param name="removeLeadingSpace">Whether decoding drops one leading space of the first token (llama.cpp's
    /// <c>remove_space</c>, set when the encoder adds a space prefix).</param>
    private protected GgufTokenizer(TokenizerData data, Func<string, GgufTokenType, byte[]> pieceBytes, bool removeLeadingSpace)
    {
        int count = data.Tokens.Count;
        _texts = new string[count];
        var types = new GgufTokenType[count];
        _pieces = new byte[count][];
        _endOfGeneration = new bool[count];
        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            _texts[id] = TokenizerData.EffectiveText(data.Tokens[id], id);
            ids.Add(_texts[id], id);
            types[id] = data.GetTokenType(id);
            if (Array.IndexOf(EndOfGenerationTexts, _texts[id]) >= 0)
            {
                // llama.cpp forces these to control tokens: they end a turn and are never printed.
                types[id] = GgufTokenType.Control;
                _endOfGeneration[id] = true;
            }
        }
        _endOfGeneration[data.EosId] = true;
        for (int id = 0; id < count; id++)
            _pieces[id] = pieceBytes(_texts[id], types[id]);

        TokenIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownId = data.UnknownId;
        BosId = data.BosId;
        EosId = data.EosId;
        AddBos = data.AddBos;
        _specialTokens = new SpecialTokenSplitter(_texts, types);
        _removeLeadingSpace = removeLeadingSpace;
    }

    /// <summary>Builds the tokenizer <paramref name="data"/> describes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="NotSupportedException">The model (<c>tokenizer.ggml.model</c>) or pre-tokenizer
    /// (<c>tokenizer.ggml.pre</c>) is not one this library runs; the message names it.</exception>
    /// <exception cref="GgufTokenizerException">The data is inconsistent (see <see cref="TokenizerData.Validate"/>).</exception>
    public static GgufTokenizer Create(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.Validate();
        return data.Model switch
        {
            TokenizerData.LlamaModel => new SentencePieceBpeTokenizer(data),
            TokenizerData.Gpt2Model => new ByteLevelBpeTokenizer(data),
            _ => throw new NotSupportedException($"Tokenizer model \"{data.Model}\" is not supported."), // Validate rejects these first.
        };
    }

    /// <summary>Builds the tokenizer embedded in <paramref name="file"/>'s metadata.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is null.</exception>
    /// <exception cref="NotSupportedException">The model or pre-tokenizer is not supported.</exception>
    /// <exception cref="GgufTokenizerException">A key is missing or inconsistent; the exception names it.</exception>
    /// <exception cref="GgufFormatException">A key holds a value of the wrong type.</exception>
    public static GgufTokenizer FromGguf(GgufFile file) => Create(TokenizerData.FromGguf(file));

    /// <summary>What kind of tokenizer this is and which implementation runs it, e.g.
    /// <c>"llama (SentencePiece BPE) ..."</c> or <c>"gpt2 (byte-level BPE) ..."</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The number of tokens; ids run from 0 to <c>VocabularySize - 1</c>.</summary>
    public int VocabularySize => _texts.Length;

    /// <summary>The beginning-of-sequence token.</summary>
    public int BosId { get; }

    /// <summary>The end-of-sequence token.</summary>
    public int EosId { get; }

    /// <summary>Whether the model expects BOS before a prompt (<c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBos { get; }

    /// <summary>The unknown token, if the vocabulary has one.</summary>
    private protected int? UnknownId { get; }

    /// <summary>Token ids by (effective) text, looked up with spans so that candidate pieces need no strings.</summary>
    private protected Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> TokenIds { get; }

    /// <summary>Whether generation should stop at <paramref name="token"/>: EOS, and the tokens llama.cpp treats as
    /// end of generation by their text (<c>&lt;|eot_id|&gt;</c>, <c>&lt;|eom_id|&gt;</c>, <c>&lt;|im_end|&gt;</c>,
    /// <c>&lt;|end|&gt;</c>, <c>&lt;end_of_turn&gt;</c>, <c>&lt;|endoftext|&gt;</c>, <c>&lt;EOT&gt;</c>). Ids outside
    /// the vocabulary give false.</summary>
    public bool IsEndOfGeneration(int token) => (uint)token < (uint)_endOfGeneration.Length && _endOfGeneration[token];

    /// <summary>Encodes <paramref name="text"/>, treating any special-token text in it as plain text.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="addBos">Whether to put BOS first, which happens only when the model asks for it
    /// (<see cref="AddBos"/>), as llama.cpp's <c>add_special</c> does.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text, bool addBos) => Encode(text, addBos, parseSpecial: false);

    /// <summary>Encodes <paramref name="text"/>, optionally recognising control tokens written in it.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="addBos">Whether to put BOS first, which happens only when the model asks for it (<see cref="AddBos"/>).</param>
    /// <param name="parseSpecial">Whether control tokens written in the text (<c>&lt;|start_header_id|&gt;</c>,
    /// <c>&lt;s&gt;</c>) become those tokens, as llama.cpp's <c>parse_special</c> does (for chat templates). User-defined
    /// tokens are recognised either way.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text, bool addBos, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var output = new List<int>(text.Length / 2 + 2);
        if (addBos && AddBos)
            output.Add(BosId);
        if (text.Length == 0)
            return output.ToArray();

        // llama.cpp's is_prev_special: SentencePiece puts its space prefix at the start and after each special token.
        bool atStartOrAfterSpecial = true;
        foreach (TextFragment fragment in _specialTokens.Split(text, parseSpecial))
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.Token);
                atStartOrAfterSpecial = true;
            }
            else
            {
                EncodeText(text.AsSpan(fragment.Start, fragment.Length), atStartOrAfterSpecial, output);
                atStartOrAfterSpecial = false;
            }
        }
        return output.ToArray();
    }

    /// <summary>Encodes the concatenation of <paramref name="segments"/> as <see cref="Encode(string, bool, bool)"/>
    /// encodes one text, except that control tokens are recognised only inside segments whose <c>ParseSpecial</c> is
    /// true and never across two segments: a chat prompt parses its template's text for them, not its messages.</summary>
    /// <remarks>Runs of plain text that meet at a segment boundary are tokenized as one run, as llama.cpp tokenizes a
    /// whole prompt at once; so when the other segments spell no special token, the result equals
    /// <c>Encode(string.Concat(texts), addBos, parseSpecial: true)</c>.</remarks>
    internal IReadOnlyList<int> EncodeSegments(IReadOnlyList<(string Text, bool ParseSpecial)> segments, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var output = new List<int>();
        if (addBos && AddBos)
            output.Add(BosId);

        // Fragments of all segments in one coordinate space (offsets into `whole`), adjacent text runs joined.
        var whole = new StringBuilder();
        var fragments = new List<TextFragment>();
        foreach (var (segmentText, parseSpecial) in segments)
        {
            string segment = ReplaceLoneSurrogates(segmentText);
            int offset = whole.Length;
            whole.Append(segment);
            if (segment.Length == 0)
                continue;
            foreach (TextFragment fragment in _specialTokens.Split(segment, parseSpecial))
            {
                if (fragment.IsToken)
                    fragments.Add(fragment);
                else if (fragments.Count > 0 && !fragments[^1].IsToken)
                    fragments[^1] = TextFragment.Text(fragments[^1].Start, fragments[^1].Length + fragment.Length);
                else
                    fragments.Add(TextFragment.Text(offset + fragment.Start, fragment.Length));
            }
        }

        string text = whole.ToString();
        bool atStartOrAfterSpecial = true;
        foreach (TextFragment fragment in fragments)
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.Token);
                atStartOrAfterSpecial = true;
            }
            else
            {
                EncodeText(text.AsSpan(fragment.Start, fragment.Length), atStartOrAfterSpecial, output);
                atStartOrAfterSpecial = false;
            }
        }
        return output.ToArray();
    }

    /// <summary>Tokenizes one run of text that holds no special tokens, appending the ids to <paramref name="output"/>.</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, bool atStartOrAfterSpecial, List<int> output);

    /// <summary>Turns tokens back into text, as llama.cpp's <c>llama_detokenize</c> with special tokens hidden:
    /// control, unknown and unused tokens give nothing, byte tokens are joined into UTF-8 (an invalid sequence reads
    /// as U+FFFD), and for a SentencePiece vocabulary the space prefix the encoder added is removed when the first
    /// token is text.</summary>
    /// <remarks>
    /// As in llama.cpp, the space prefix is removed only from the very first token: after a BOS it stays, so
    /// <c>Decode(Encode(text, addBos: true))</c> gives <c>" " + text</c> for a <c>"llama"</c> vocabulary, and
    /// <c>Decode(Encode(text, addBos: false))</c> gives <c>text</c>. See <see cref="GgufTokenizer"/> for the
    /// <c>clean_spaces</c> pass this method leaves out.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id is negative or not below <see cref="VocabularySize"/>.</exception>
    public string Decode(IEnumerable<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var bytes = new ArrayBufferWriter<byte>(256);
        bool removeSpace = _removeLeadingSpace;
        foreach (int token in tokens)
        {
            ReadOnlySpan<byte> piece = PieceBytes(token, nameof(tokens));
            if (removeSpace && !piece.IsEmpty && piece[0] == (byte)' ')
                piece = piece[1..];
            removeSpace = false;
            bytes.Write(piece);
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>The vocabulary's text for <paramref name="token"/>, as stored (<c>"▁the"</c>, <c>"Ġthe"</c>,
    /// <c>"&lt;0x0A&gt;"</c>, <c>"&lt;s&gt;"</c>; an empty entry reads <c>"[EMPTY_id]"</c> as in llama.cpp), for
    /// display and debugging.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="token"/> is not a token id.</exception>
    public string TokenText(int token)
    {
        CheckToken(token, nameof(token));
        return _texts[token];
    }

    /// <summary>Creates a streamer that turns tokens into text one at a time as they are generated.</summary>
    public TokenStreamer CreateStreamer() => new(this);

    /// <summary>The bytes <paramref name="token"/> decodes to (empty for hidden tokens).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="token"/> is not a token id.</exception>
    internal ReadOnlySpan<byte> PieceBytes(int token, string parameterName)
    {
        CheckToken(token, parameterName);
        return _pieces[token];
    }

    private void CheckToken(int token, string parameterName)
    {
        if ((uint)token >= (uint)_texts.Length)
            throw new ArgumentOutOfRangeException(parameterName, token,
                $"Token id {token} is outside the vocabulary of {_texts.Length} tokens (valid ids are 0 to {_texts.Length - 1}).");
    }

    /// <summary>Replaces unpaired surrogates by U+FFFD, as converting the text to UTF-8 for llama.cpp would.</summary>
    private static string ReplaceLoneSurrogates(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
            return text;
        return Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
    }
}
