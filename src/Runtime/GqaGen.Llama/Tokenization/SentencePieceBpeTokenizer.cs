using System.Globalization;
using System.Text;

namespace GqaGen.Llama.Tokenization;

/// <summary>
/// The <c>"llama"</c> tokenizer: SentencePiece BPE over a vocabulary of scored pieces with <c>&lt;0xNN&gt;</c> byte
/// fallback, a line-for-line port of llama.cpp's <c>llm_tokenizer_spm_session</c> (llama-vocab.cpp, itself from
/// SentencePiece's bpe_model.cc).
/// </summary>
/// <remarks>
/// <para>Algorithm: spaces become <c>'▁'</c> (with one more in front of the text at the start and after a special
/// token), the text is cut into code points, and the adjacent pair whose joined text is a piece with the highest
/// score is merged, ties going to the leftmost pair, until no pair forms a piece. What remains is emitted as
/// pieces; a code point that is no piece is emitted as its UTF-8 bytes' <c>&lt;0xNN&gt;</c> tokens.</para>
/// <para>Why hand-written rather than Microsoft.ML.Tokenizers' SentencePieceTokenizer: in version 2.0.1 that class
/// can only be created from a serialized SentencePiece <c>ModelProto</c> stream, which a GGUF file does not hold
/// (it holds the pieces, scores and types as separate arrays); and its special-token and leading-space handling
/// follow SentencePiece and Hugging Face rather than llama.cpp, which is what GGUF models are tested against.</para>
/// <para>llama.cpp's <c>resegment</c> step (splitting a final symbol back along the merges that built it) is left
/// out because it can never fire: a merge is made only when the joined text is a piece, so every final symbol is a
/// piece or a single code point, and the reverse-merge table only holds texts of two or more code points.</para>
/// </remarks>
internal sealed class SentencePieceBpeTokenizer : GgufTokenizer
{
    private const char EscapedSpace = '\u2581'; // '▁', SentencePiece's visible space

    private readonly float[] _scores;
    private readonly int[] _byteTokens; // token of each byte value, -1 where the vocabulary has none
    private readonly bool _addSpacePrefix;

    public SentencePieceBpeTokenizer(TokenizerData data)
        : base(data, DecodePiece, removeLeadingSpace: data.AddSpacePrefix ?? true)
    {
        _scores = data.Scores is null ? new float[data.Tokens.Count] : [.. data.Scores];
        _addSpacePrefix = data.AddSpacePrefix ?? true;
        _byteTokens = new int[256];
        for (int b = 0; b < 256; b++)
        {
            // llama_vocab::byte_to_token: the <0xNN> piece, else (for ASCII) the character itself.
            if (TokenIds.TryGetValue($"<0x{b:X2}>", out int id) || (b < 0x80 && TokenIds.TryGetValue(((char)b).ToString(), out id)))
                _byteTokens[b] = id;
            else
                _byteTokens[b] = -1;
        }
    }

    /// <inheritdoc/>
    public override string Kind => "llama (SentencePiece BPE with byte fallback; hand-written port of llama.cpp's llm_tokenizer_spm)";

    /// <summary>Reads a byte-fallback token's value: <c>"&lt;0x0A&gt;"</c> is 10.</summary>
    internal static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>llama.cpp's <c>token_to_piece</c> for SentencePiece vocabularies, special tokens hidden.</summary>
    private static byte[] DecodePiece(string text, GgufTokenType type) => type switch
    {
        GgufTokenType.Normal => Encoding.UTF8.GetBytes(text.Replace(EscapedSpace, ' ')),
        GgufTokenType.UserDefined => Encoding.UTF8.GetBytes(text),
        GgufTokenType.Byte => TryParseByteToken(text, out byte value) ? [value] : [],
        _ => [], // control, unknown, unused and undefined tokens print nothing
    };

    private protected override void EncodeText(ReadOnlySpan<char> fragment, bool atStartOrAfterSpecial, List<int> output)
    {
        // llama_escape_whitespace, after the optional space prefix.
        bool prefix = _addSpacePrefix && atStartOrAfterSpecial;
        var text = new char[fragment.Length + (prefix ? 1 : 0)];
        int offset = 0;
        if (prefix)
            text[offset++] = EscapedSpace;
        foreach (char c in fragment)
            text[offset++] = c == ' ' ? EscapedSpace : c;

        Symbol[] symbols = SplitIntoCodepoints(text);
        var queue = new PriorityQueue<Bigram, Bigram>(BigramPriority.Instance);
        for (int i = 1; i < symbols.Length; i++)
            TryAddBigram(text, symbols, queue, i - 1, i);

        // Keep merging the best-scoring pair for as long as one forms a piece.
        while (queue.TryDequeue(out Bigram bigram, out _))
        {
            ref Symbol left = ref symbols[bigram.Left];
            ref Symbol right = ref symbols[bigram.Right];
            // A pair whose symbols have changed since it was queued is stale (symbols only grow, so equal sizes
            // mean unchanged).
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length)
                continue;
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
                symbols[right.Next].Previous = bigram.Left;
            TryAddBigram(text, symbols, queue, left.Previous, bigram.Left);
            TryAddBigram(text, symbols, queue, bigram.Left, left.Next);
        }

        for (int i = 0; i != -1; i = symbols[i].Next)
            EmitSymbol(text.AsSpan(symbols[i].Start, symbols[i].Length), output);
    }

    private void EmitSymbol(ReadOnlySpan<char> piece, List<int> output)
    {
        if (TokenIds.TryGetValue(piece, out int id))
        {
            output.Add(id);
            return;
        }
        // Byte fallback: a code point that is no piece becomes the tokens of its UTF-8 bytes.
        Span<byte> utf8 = stackalloc byte[8];
        int length = Encoding.UTF8.GetBytes(piece, utf8);
        foreach (byte b in utf8[..length])
        {
            int token = _byteTokens[b];
            if (token >= 0)
                output.Add(token);
            else if (UnknownId is int unknown)
                output.Add(unknown); // SentencePiece without byte fallback; llama.cpp would abort here
            else
                throw new InvalidOperationException(
                    $"The vocabulary has no piece for \"{piece}\", no byte token <0x{b:X2}> and no unknown token, so the text cannot be encoded.");
        }
    }

    private void TryAddBigram(char[] text, Symbol[] symbols, PriorityQueue<Bigram, Bigram> queue, int left, int right)
    {
        if (left == -1 || right == -1)
            return;
        int length = symbols[left].Length + symbols[right].Length;
        if (!TokenIds.TryGetValue(text.AsSpan(symbols[left].Start, length), out int id))
            return;
        var bigram = new Bigram(left, right, _scores[id], length);
        queue.Enqueue(bigram, bigram);
    }

    private static Symbol[] SplitIntoCodepoints(char[] text)
    {
        var symbols = new List<Symbol>(text.Length);
        for (int offset = 0; offset < text.Length;)
        {
            int length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
            int index = symbols.Count;
            symbols.Add(new Symbol(offset, length, index - 1, offset + length == text.Length ? -1 : index + 1));
            offset += length;
        }
        return [.. symbols];
    }

    /// <summary>A run of the text in the linked list of symbols (llama.cpp's <c>llm_symbol</c>); Length 0 once merged away.</summary>
    private struct Symbol(int start, int length, int previous, int next)
    {
        public int Start = start;
        public int Length = length;
        public int Previous = previous;
        public int Next = next;
    }

    /// <summary>A candidate merge of two adjacent symbols (llama.cpp's <c>llm_bigram_spm</c>).</summary>
    private readonly record struct Bigram(int Left, int Right, float Score, int Length);

    /// <summary>Dequeues the highest score first, and of equal scores the leftmost pair (llm_bigram_spm::comparator).</summary>
    private sealed class BigramPriority : IComparer<Bigram>
    {
        public static readonly BigramPriority Instance = new();

        public int Compare(Bigram x, Bigram y)
        {
            int byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }
}
