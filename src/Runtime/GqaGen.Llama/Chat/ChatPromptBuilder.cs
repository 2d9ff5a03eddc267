using System.Text;

namespace GqaGen.Llama.Chat;

/// <summary>Accumulates a prompt as template text and message contents, keeping track of which is which: adjacent
/// template text joins one segment, each content is its own segment, and empty runs leave no segment.</summary>
internal sealed class ChatPromptBuilder
{
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _pendingTemplate = new();
    private readonly List<ChatPromptSegment> _segments = [];

    /// <summary>Appends the template's own text (markers, separators, role names).</summary>
    public ChatPromptBuilder Template(string text)
    {
        _pendingTemplate.Append(text);
        _text.Append(text);
        return this;
    }

    /// <summary>Appends a message's content, as the format places it.</summary>
    public ChatPromptBuilder Content(string text)
    {
        // An empty content leaves no segment, and the template text around it stays one segment.
        if (text.Length == 0)
            return this;
        FlushTemplate();
        _segments.Add(new ChatPromptSegment(text, IsContent: true));
        _text.Append(text);
        return this;
    }

    public ChatPrompt Build()
    {
        FlushTemplate();
        return new ChatPrompt(_text.ToString(), _segments.ToArray());
    }

    private void FlushTemplate()
    {
        if (_pendingTemplate.Length == 0)
            return;
        _segments.Add(new ChatPromptSegment(_pendingTemplate.ToString(), IsContent: false));
        _pendingTemplate.Clear();
    }
}
