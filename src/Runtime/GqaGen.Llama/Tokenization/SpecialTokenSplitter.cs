namespace GqaGen.Llama.Tokenization;

/// <summary>A piece of the text to encode: either a special token found in it, or a run of plain text.</summary>
/// <param name="Token">The special token's id, or -1 for plain text.</param>
/// <param name="Start">Where the plain text starts in the input (unused for a token).</param>
/// <param name="Length">The plain text's length in characters (unused for a token).</param>
internal readonly record struct TextFragment(int Token, int Start, int Length)
{
    /// <summary>Whether this fragment is a special token rather than text.</summary>
    public bool IsToken => Token >= 0;

    /// <summary>A run of plain text.</summary>
    public static TextFragment Text(int start, int length) => new(-1, start, length);
}

/// <summary>
/// Cuts special tokens out of the text before the text is tokenized, as llama.cpp's
/// <c>tokenizer_st_partition</c> does: user-defined tokens always; control and unknown tokens (<c>&lt;s&gt;</c>,
/// <c>&lt;|eot_id|&gt;</c>) only when the caller asks to parse special tokens, so that text which merely mentions
/// them is encoded as text.
/// </summary>
/// <remarks>Longer tokens are cut first (llama.cpp sorts by text length); equal lengths go by id, where llama.cpp's
/// <c>std::sort</c> leaves the order unspecified. The LSTRIP/RSTRIP attributes llama.cpp sets by model name for
/// Phi-3 and Jina models are not reproduced.</remarks>
internal sealed class SpecialTokenSplitter
{
    private readonly (int Id, string Text, bool AlwaysSplit)[] _tokens;

    public SpecialTokenSplitter(IReadOnlyList<string> texts, IReadOnlyList<GgufTokenType> types)
    {
        var tokens = new List<(int Id, string Text, bool AlwaysSplit)>();
        for (int id = 0; id < texts.Count; id++)
        {
            GgufTokenType type = types[id];
            if (type is GgufTokenType.Control or GgufTokenType.Unknown or GgufTokenType.UserDefined)
                tokens.Add((id, texts[id], type == GgufTokenType.UserDefined));
        }
        tokens.Sort(static (a, b) => a.Text.Length != b.Text.Length ? b.Text.Length.CompareTo(a.Text.Length) : a.Id.CompareTo(b.Id));
        _tokens = [.. tokens];
    }

    /// <summary>Splits <paramref name="text"/> into special tokens and runs of text, in order.</summary>
    public List<TextFragment> Split(string text, bool parseSpecial)
    {
        var fragments = new List<TextFragment> { TextFragment.Text(0, text.Length) };
        foreach (var (id, tokenText, alwaysSplit) in _tokens)
        {
            if (!(alwaysSplit || parseSpecial) || !text.Contains(tokenText, StringComparison.Ordinal))
                continue;
            var split = new List<TextFragment>(fragments.Count + 2);
            foreach (TextFragment fragment in fragments)
            {
                if (fragment.IsToken)
                {
                    split.Add(fragment);
                    continue;
                }
                int start = fragment.Start, end = fragment.Start + fragment.Length;
                while (start < end)
                {
                    int match = text.AsSpan(start, end - start).IndexOf(tokenText, StringComparison.Ordinal);
                    if (match < 0)
                        break;
                    if (match > 0)
                        split.Add(TextFragment.Text(start, match));
                    split.Add(new TextFragment(id, 0, 0));
                    start += match + tokenText.Length;
                }
                if (start < end)
                    split.Add(TextFragment.Text(start, end - start));
            }
            fragments = split;
        }
        return fragments;
    }
}
