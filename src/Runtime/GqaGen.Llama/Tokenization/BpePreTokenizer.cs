using System.Globalization;
using System.Text;

namespace GqaGen.Llama.Tokenization;

/// <summary>The pre-tokenizers of byte-level BPE vocabularies (<c>tokenizer.ggml.pre</c>).</summary>
internal enum BpePreTokenizerKind
{
    /// <summary>GPT-2's regex: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.</summary>
    Gpt2,

    /// <summary>Llama 3's regex: <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.</summary>
    Llama3,

    /// <summary>Qwen2's regex (llama.cpp's <c>LLAMA_VOCAB_PRE_TYPE_QWEN2</c>): Llama 3's with single digits,
    /// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.</summary>
    Qwen2,
}

/// <summary>
/// Splits text into the words that byte-level BPE merges within, as llama.cpp does: a hand-written scanner for each
/// regex (<c>unicode_regex_split_custom_gpt2</c> and <c>unicode_regex_split_custom_llama3</c> in llama.cpp's
/// unicode.cpp), transliterated rule for rule.
/// </summary>
/// <remarks>
/// Why not <see cref="System.Text.RegularExpressions.Regex"/> (or Microsoft.ML.Tokenizers' RegexPreTokenizer, which
/// wraps it): .NET regexes match UTF-16 code units, so <c>\p{L}</c> never matches a letter outside the Basic
/// Multilingual Plane (CJK Extension B, mathematical alphanumerics), which splits such text differently from
/// llama.cpp. This scanner works on code points with the same categories: letters are L*, numbers N*, whitespace the
/// Unicode White_Space property, and unassigned code points (llama.cpp's "undefined" flags) match no class.
/// </remarks>
internal static class BpePreTokenizer
{
    private const int OutOfRange = -1;

    [Flags]
    private enum CodepointClass : byte
    {
        None = 0,
        Assigned = 1,
        Letter = 2,
        Number = 4,
        Whitespace = 8,
    }

    /// <summary>The pre-tokenizer a <c>tokenizer.ggml.pre</c> value names.</summary>
    /// <remarks>llama.cpp maps "llama3", "llama-v3", "llama-bpe" and "falcon3" to its LLAMA3 pre-tokenizer and
    /// "gpt-2" (with "phi-2", "roberta-bpe", ...) to GPT2. It maps a missing value and "default" to a chain of four
    /// regexes (punctuation runs, GPT-2's, digit runs, groups of three digits); this library uses GPT-2's regex alone
    /// for those, so <c>" ,"</c> stays one word and long numbers are not cut into threes.</remarks>
    /// <exception cref="NotSupportedException"><paramref name="name"/> is another pre-tokenizer.</exception>
    public static BpePreTokenizerKind Parse(string? name) => name switch
    {
        null or "" or "default" or "gpt2" or "gpt-2" => BpePreTokenizerKind.Gpt2,
        _ when IsLlama3Family(name) => BpePreTokenizerKind.Llama3,
        Qwen2Name => BpePreTokenizerKind.Qwen2,
        _ => throw new NotSupportedException(
            $"Pre-tokenizer \"{name}\" ({TokenizerKeys.PreTokenizer}) is not supported; supported are \"llama-bpe\" (also \"llama3\", \"llama-v3\", \"falcon3\": Llama 3's regex), \"qwen2\" (Qwen2's regex: Llama 3's with single digits) and \"gpt2\" (also \"gpt-2\", \"default\" or none: GPT-2's regex)."),
    };

    /// <summary>The <c>tokenizer.ggml.pre</c> value of Qwen2 and Qwen2.5 vocabularies. llama.cpp gives it no BOS by
    /// default and turns off <c>clean_spaces</c> (which this library's decoding never applies).</summary>
    public const string Qwen2Name = "qwen2";

    /// <summary>Whether <paramref name="name"/> selects Llama 3's pre-tokenizer, which llama.cpp pairs with
    /// ignore-merges and add-BOS.</summary>
    public static bool IsLlama3Family(string? name) => name is "llama-bpe" or "llama3" or "llama-v3" or "falcon3";

    /// <summary>Splits <paramref name="text"/> into words, appending each word's character range to
    /// <paramref name="words"/>. The words cover the text exactly, in order.</summary>
    public static void Split(ReadOnlySpan<char> text, BpePreTokenizerKind kind, List<(int Start, int Length)> words)
    {
        if (text.IsEmpty)
            return;
        var scanner = new Scanner(text, words);
        if (kind == BpePreTokenizerKind.Llama3)
            scanner.ScanLlama3(maxDigits: 3);
        else if (kind == BpePreTokenizerKind.Qwen2)
            scanner.ScanLlama3(maxDigits: 1);
        else
            scanner.ScanGpt2();
    }

    private static CodepointClass Classify(int codepoint)
    {
        var rune = new Rune(codepoint);
        var result = Rune.IsWhiteSpace(rune) ? CodepointClass.Whitespace : CodepointClass.None;
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.OtherNotAssigned:
                return result;
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                result |= CodepointClass.Letter;
                break;
            case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                result |= CodepointClass.Number;
                break;
        }
        return result | CodepointClass.Assigned;
    }

    /// <summary>One scan over the code points of a text; the methods mirror llama.cpp's lambdas
    /// (<c>_get_cpt</c>, <c>_get_flags</c>, <c>_add_token</c>), with positions counted in code points.</summary>
    private sealed class Scanner
    {
        private readonly int[] _codepoints;
        private readonly CodepointClass[] _classes;
        private readonly int[] _charOffsets; // _charOffsets[i] = index in the text of code point i; one extra entry for the end
        private readonly List<(int Start, int Length)> _words;
        private int _previousEnd;

        public Scanner(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
        {
            var codepoints = new List<int>(text.Length);
            var offsets = new List<int>(text.Length + 1);
            for (int i = 0; i < text.Length;)
            {
                // Lone surrogates become U+FFFD, as a UTF-8 conversion would make them.
                Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed);
                codepoints.Add(rune.Value);
                offsets.Add(i);
                i += consumed;
            }
            offsets.Add(text.Length);
            _codepoints = [.. codepoints];
            _charOffsets = [.. offsets];
            _classes = new CodepointClass[_codepoints.Length];
            for (int i = 0; i < _codepoints.Length; i++)
                _classes[i] = Classify(_codepoints[i]);
            _words = words;
            _previousEnd = 0;
        }

        private int Length => _codepoints.Length;

        private int Cpt(int position) => (uint)position < (uint)Length ? _codepoints[position] : OutOfRange;

        private CodepointClass Class(int position) => (uint)position < (uint)Length ? _classes[position] : CodepointClass.None;

        private static bool Is(CodepointClass c, CodepointClass flag) => (c & flag) != 0;

        private static bool IsOther(CodepointClass c) =>
            (c & (CodepointClass.Whitespace | CodepointClass.Letter | CodepointClass.Number)) == 0 && c != CodepointClass.None;

        private static int ToLower(int codepoint) =>
            codepoint == OutOfRange ? OutOfRange : Rune.ToLowerInvariant(new Rune(codepoint)).Value;

        private int AddToken(int end)
        {
            int length = end - _previousEnd;
            if (length > 0)
                _words.Add((_charOffsets[_previousEnd], _charOffsets[end] - _charOffsets[_previousEnd]));
            _previousEnd = end;
            return length;
        }

        /// <summary>Returns the end of a contraction ('s 't 'm 'd 're 've 'll) starting at
        /// <paramref name="position"/>, or -1.</summary>
        private int ContractionEnd(int position, bool ignoreCase)
        {
            if (Cpt(position) != '\'' || position + 1 >= Length)
                return -1;
            int next = ignoreCase ? ToLower(Cpt(position + 1)) : Cpt(position + 1);
            if (next is 's' or 't' or 'm' or 'd')
                return position + 2;
            if (position + 2 < Length)
            {
                int nextNext = ignoreCase ? ToLower(Cpt(position + 2)) : Cpt(position + 2);
                if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l'))
                    return position + 3;
            }
            return -1;
        }

        public void ScanGpt2()
        {
            for (int pos = 0; pos < Length;)
            {
                int cpt = Cpt(pos);
                var flags = Class(pos);

                // 's|'t|'re|'ve|'m|'ll|'d
                int contraction = ContractionEnd(pos, ignoreCase: false);
                if (contraction >= 0)
                {
                    pos += AddToken(contraction);
                    continue;
                }

                var flags2 = cpt == ' ' ? Class(pos + 1) : flags;
                // ' ?\p{L}+', ' ?\p{N}+' and ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
                if (Is(flags2, CodepointClass.Letter))
                {
                    pos += cpt == ' ' ? 1 : 0;
                    while (Is(flags2, CodepointClass.Letter))
                        flags2 = Class(++pos);
                    AddToken(pos);
                    continue;
                }
                if (Is(flags2, CodepointClass.Number))
                {
                    pos += cpt == ' ' ? 1 : 0;
                    while (Is(flags2, CodepointClass.Number))
                        flags2 = Class(++pos);
                    AddToken(pos);
                    continue;
                }
                if (IsOther(flags2))
                {
                    pos += cpt == ' ' ? 1 : 0;
                    while (IsOther(flags2))
                        flags2 = Class(++pos);
                    AddToken(pos);
                    continue;
                }

                if (ScanWhitespace(ref pos, splitLineBreaks: false))
                    continue;

                // No rule matched (an unassigned code point): it is a word of its own.
                AddToken(++pos);
            }
        }

        /// <summary>Llama 3's regex, whose digit rule is <c>\p{N}{1,<paramref name="maxDigits"/>}</c>: 3 for Llama 3,
        /// 1 for Qwen2 (<c>\p{N}</c>; the rest of the two regexes is the same).</summary>
        public void ScanLlama3(int maxDigits)
        {
            for (int pos = 0; pos < Length;)
            {
                int cpt = Cpt(pos);
                var flags = Class(pos);

                // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                int contraction = ContractionEnd(pos, ignoreCase: true);
                if (contraction >= 0)
                {
                    pos += AddToken(contraction);
                    continue;
                }

                // [^\r\n\p{L}\p{N}]?\p{L}+
                if (!(cpt == '\r' || cpt == '\n' || Is(flags, CodepointClass.Number))
                    && (Is(flags, CodepointClass.Letter) || Is(Class(pos + 1), CodepointClass.Letter)))
                {
                    pos++;
                    while (Is(Class(pos), CodepointClass.Letter))
                        pos++;
                    AddToken(pos);
                    continue;
                }

                // \p{N}{1,3} (Llama 3) or \p{N} (Qwen2)
                if (Is(flags, CodepointClass.Number))
                {
                    int groupStart = pos;
                    while (Is(Class(pos), CodepointClass.Number))
                    {
                        if (++pos - groupStart >= maxDigits)
                        {
                            AddToken(pos);
                            groupStart = pos;
                        }
                    }
                    AddToken(pos);
                    continue;
                }

                // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first code point's flags for "assigned" here)
                var flags2 = cpt == ' ' ? Class(pos + 1) : flags;
                if ((flags2 & (CodepointClass.Whitespace | CodepointClass.Letter | CodepointClass.Number)) == 0 && flags != CodepointClass.None)
                {
                    pos += cpt == ' ' ? 1 : 0;
                    while (IsOther(flags2))
                        flags2 = Class(++pos);
                    int cpt2 = Cpt(pos);
                    while (cpt2 is '\r' or '\n')
                        cpt2 = Cpt(++pos);
                    AddToken(pos);
                    continue;
                }

                if (ScanWhitespace(ref pos, splitLineBreaks: true))
                    continue;

                AddToken(++pos);
            }
        }

        /// <summary>The whitespace rules: <c>\s*[\r\n]+</c> (Llama 3 only), then <c>\s+(?!\S)</c>, then <c>\s+</c>.
        /// Returns false when <paramref name="pos"/> is not whitespace.</summary>
        private bool ScanWhitespace(ref int pos, bool splitLineBreaks)
        {
            int whitespaceCount = 0;
            int lastLineBreakEnd = 0;
            while (Is(Class(pos + whitespaceCount), CodepointClass.Whitespace))
            {
                if (Cpt(pos + whitespaceCount) is '\r' or '\n')
                    lastLineBreakEnd = pos + whitespaceCount + 1;
                whitespaceCount++;
            }

            if (splitLineBreaks && lastLineBreakEnd > 0)
            {
                pos = lastLineBreakEnd;
                AddToken(pos);
                return true;
            }
            // \s+(?!\S): a run of spaces before a non-space leaves its last space to the next word.
            if (whitespaceCount > 1 && Cpt(pos + whitespaceCount) != OutOfRange)
            {
                pos += whitespaceCount - 1;
                AddToken(pos);
                return true;
            }
            if (whitespaceCount > 0)
            {
                pos += whitespaceCount;
                AddToken(pos);
                return true;
            }
            return false;
        }
    }
}
