using System.Text;
using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

/// <summary>Hand-written vocabularies, random text and GGUF round trips for the tokenizer tests.</summary>
internal static class TokenizerTestData
{
    /// <summary>A SentencePiece vocabulary: <c>&lt;unk&gt;</c> 0, <c>&lt;s&gt;</c> 1, <c>&lt;/s&gt;</c> 2, the given
    /// pieces from id 3 in order, then the 256 byte tokens.</summary>
    public static TokenizerData Spm(params (string Piece, float Score)[] pieces)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var scores = new List<float> { 0, 0, 0 };
        var types = new List<int> { 2, 3, 3 };
        foreach (var (piece, score) in pieces)
        {
            tokens.Add(piece);
            scores.Add(score);
            types.Add(1);
        }
        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            scores.Add(0);
            types.Add(6);
        }
        return new TokenizerData("llama", tokens, scores, types, null, BosId: 1, EosId: 2, UnknownId: 0, PaddingId: null,
            AddBos: true, PreTokenizer: null);
    }

    /// <summary>A byte-level vocabulary: the 256 byte tokens (id = byte value), the given tokens from id 256, then
    /// <c>&lt;|begin_of_text|&gt;</c> (BOS) and <c>&lt;|end_of_text|&gt;</c> (EOS).</summary>
    public static TokenizerData Bpe(string preTokenizer, string[] tokens, string[] merges)
    {
        var all = new List<string>();
        for (int b = 0; b < 256; b++)
            all.Add(ByteCharacter((byte)b).ToString());
        all.AddRange(tokens);
        all.Add("<|begin_of_text|>");
        all.Add("<|end_of_text|>");
        var types = Enumerable.Repeat(1, all.Count).ToArray();
        types[^1] = types[^2] = 3;
        return new TokenizerData("gpt2", all, null, types, merges, BosId: all.Count - 2, EosId: all.Count - 1,
            UnknownId: null, PaddingId: null, AddBos: true, PreTokenizer: preTokenizer);
    }

    /// <summary>GPT-2's character for byte <paramref name="b"/>.</summary>
    public static char ByteCharacter(byte b)
    {
        int shifted = 0;
        for (int x = 0; x < 256; x++)
        {
            bool printable = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (x == b)
                return printable ? (char)x : (char)(256 + shifted);
            if (!printable)
                shifted++;
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The ids of <paramref name="pieces"/> in <paramref name="data"/>'s vocabulary.</summary>
    public static int[] Ids(TokenizerData data, params string[] pieces) =>
        [.. pieces.Select(p => IndexOf(data, p))];

    public static int IndexOf(TokenizerData data, string piece)
    {
        for (int i = 0; i < data.Tokens.Count; i++)
        {
            if (data.Tokens[i] == piece)
                return i;
        }
        throw new ArgumentException($"'{piece}' is not in the vocabulary");
    }

    /// <summary>Writes <paramref name="data"/> into a tokenizer-only GGUF and parses it back.</summary>
    public static GgufFile ToGguf(TokenizerData data, Action<GgufWriter>? extra = null)
    {
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        data.WriteTo(writer);
        extra?.Invoke(writer);
        return GgufFile.Parse(writer.ToArray());
    }

    /// <summary>A GGUF holding exactly the metadata <paramref name="write"/> adds.</summary>
    public static GgufFile GgufWith(Action<GgufWriter> write)
    {
        var writer = new GgufWriter();
        write(writer);
        return GgufFile.Parse(writer.ToArray());
    }

    // Pieces random text is made of: words, contractions in both cases, digits, punctuation, runs of spaces and line
    // breaks, accented Latin, CJK, Arabic-Indic digits, and characters outside the BMP (emoji, a CJK Extension B letter).
    private static readonly string[] Fragments =
    [
        "the", "The", " light", " keeper", "sea", "ship", "s", "a", "x", "Q", "'s", "'S", "'ll", "'Re", "'ve", "'d", "'M", "'t", "'",
        "0", "7", "12", "345", "6789", "1234567", "٣٤", " ", "  ", "   ", "\n", "\r\n", "\n\n", "\t", " \n ",
        ".", ",", "!", "?", "...", "(", ")", "-", "—", "\"", ":", ";", "$", "%", "#", "@", "_", "/",
        "é", "ü", "Ünï", "ß", "naïve", "日本語", "テキスト", "中", "🙂", "👍🏽", "🚀", "𠀀", "𝐀𝐁",
    ];

    /// <summary>Seeded random text of <paramref name="pieces"/> fragments.</summary>
    public static string RandomText(Random random, int pieces, bool basicPlaneOnly = false)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < pieces; i++)
        {
            string fragment = Fragments[random.Next(Fragments.Length)];
            if (basicPlaneOnly && fragment.Any(char.IsSurrogate))
                continue;
            builder.Append(fragment);
        }
        return builder.ToString();
    }
}
