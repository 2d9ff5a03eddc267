using System.Globalization;
using System.Text;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Cli;

/// <summary>Short, printable labels for prompt tokens, for the rows of a heat map.</summary>
public static class TokenLabels
{
    /// <summary>Labels longer than this are cut, with an ellipsis.</summary>
    public const int MaxLength = 14;

    /// <summary>
    /// The label of token <paramref name="id"/>: its decoded text (so a byte-level "Ã©" reads "é" and a byte token
    /// &lt;0x0A&gt; reads \n), except that a SentencePiece piece keeps its ▁ space marker (decoding one token alone
    /// would drop it), and a token that decodes to nothing (control tokens such as BOS) or to a fragment of a UTF-8
    /// character shows its vocabulary text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public static string For(GgufTokenizer tokenizer, int id)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string stored = tokenizer.TokenText(id);
        string decoded = tokenizer.Decode([id]);
        bool useDecoded = decoded.Length > 0 && !decoded.Contains('\uFFFD') && !stored.Contains('\u2581');
        return For(useDecoded ? decoded : stored, id);
    }

    /// <summary>
    /// The token's text as a label: the space markers of byte-level BPE (Ġ, GPT-2) and SentencePiece (▁) shown as a
    /// middle dot, a newline (Ċ or \n) as <c>\n</c>, a tab as <c>\t</c>; text with other control characters, or none at
    /// all, becomes <c>#id</c>.
    /// </summary>
    public static string For(string? text, int id)
    {
        if (string.IsNullOrEmpty(text))
            return Fallback(id);
        var label = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case ' ' or '\u0120' or '\u2581':
                    label.Append('·');
                    break;
                case '\n' or '\u010A':
                    label.Append("\\n");
                    break;
                case '\t' or '\u0109':
                    label.Append("\\t");
                    break;
                case '\r' or '\u010D':
                    label.Append("\\r");
                    break;
                default:
                    var category = char.GetUnicodeCategory(c);
                    if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse)
                        return Fallback(id);
                    label.Append(c);
                    break;
            }
        }
        string s = label.ToString();
        if (s.Length <= MaxLength)
            return s;
        int cut = MaxLength - 1;
        if (char.IsHighSurrogate(s[cut - 1]))
            cut--; // never split a character outside the BMP
        return string.Concat(s.AsSpan(0, cut), "…");
    }

    /// <summary>
    /// The rows of a <paramref name="tokens"/>-row map that get a label when at most <paramref name="maxLabels"/> fit:
    /// all of them if they fit; else every n-th from the first (n the smallest step that fits) and always the last, with
    /// the regular label just before the last dropped when it is less than half a step away, so labels never crowd.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative or <paramref name="maxLabels"/> is under 2.</exception>
    public static IReadOnlyList<int> RowsToLabel(int tokens, int maxLabels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLabels, 2);
        if (tokens <= maxLabels)
            return [.. Enumerable.Range(0, tokens)];
        int last = tokens - 1;
        int step = (last + maxLabels - 2) / (maxLabels - 1); // ceil(last / (maxLabels − 1)): 0, step, …, last fit in maxLabels
        var rows = new List<int>();
        for (int t = 0; t < last; t += step)
            rows.Add(t);
        if (rows.Count > 1 && 2 * (last - rows[^1]) < step)
            rows.RemoveAt(rows.Count - 1);
        rows.Add(last);
        return rows;
    }

    private static string Fallback(int id) => "#" + id.ToString(CultureInfo.InvariantCulture);
}
