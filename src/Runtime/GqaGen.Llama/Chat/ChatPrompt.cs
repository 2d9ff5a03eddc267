using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Chat;

/// <summary>A conversation formatted for a model: the prompt text, and which parts of it are the template's and which
/// are the messages' contents.</summary>
public sealed class ChatPrompt
{
    internal ChatPrompt(string text, ChatPromptSegment[] segments)
    {
        Text = text;
        Segments = segments;
    }

    /// <summary>The whole formatted prompt: the concatenation of <see cref="Segments"/>.</summary>
    public string Text { get; }

    /// <summary>The prompt's text in order, each run marked as template text or message content; every character
    /// of <see cref="Text"/> is in exactly one segment, and no segment is empty.</summary>
    public IReadOnlyList<ChatPromptSegment> Segments { get; }

    /// <summary>The prompt's tokens: control tokens written by the template (<c>&lt;|im_start|&gt;</c>,
    /// <c>[INST]</c>, <c>&lt;s&gt;</c>) become those tokens, while the same text inside a message's content stays
    /// text, so a user cannot inject a turn.</summary>
    /// <remarks>
    /// <para>Runs of plain text are tokenized whole across template and content boundaries, as llama.cpp tokenizes a
    /// whole prompt: when no content spells a control token the result is exactly
    /// <c>tokenizer.Encode(Text, addBos, parseSpecial: true)</c>, which is what llama.cpp's server feeds the
    /// model. (llama.cpp parses special tokens in the contents too; this method does not.)</para>
    /// <para>User-defined tokens are recognised everywhere, as in <see cref="GgufTokenizer.Encode(string, bool, bool)"/>.</para>
    /// </remarks>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="addBos">Whether to put BOS first, which happens only when the model asks for it
    /// (<see cref="GgufTokenizer.AddBos"/>), as <see cref="GgufTokenizer.Encode(string, bool, bool)"/> does.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> is null.</exception>
    public IReadOnlyList<int> Tokenize(GgufTokenizer tokenizer, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var pieces = new (string Text, bool ParseSpecial)[Segments.Count];
        for (int i = 0; i < pieces.Length; i++)
            pieces[i] = (Segments[i].Text, ParseSpecial: !Segments[i].IsContent);
        return tokenizer.EncodeSegments(pieces, addBos);
    }

    /// <summary>The prompt text.</summary>
    public override string ToString() => Text;
}
