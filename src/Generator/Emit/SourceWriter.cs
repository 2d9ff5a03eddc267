using System;
using System.Text;

namespace GqaGen.Generator.Emit;

/// <summary>A small indented text writer: <c>using (writer.Block("for (...)"))</c> writes the header, braces and indentation.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0)
            _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
    }

    public void Lines(string text)
    {
        foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
            Line(line);
    }

    /// <summary>
    /// Writes <c>head(parameters)</c> on one line when it is short, else with the parameters packed onto indented
    /// continuation lines, so that no generated line is too long to read in a review diff.
    /// </summary>
    public void Signature(string head, string parameters)
    {
        const int LongLine = 180, ContinuationWidth = 120;
        if (_indent * 4 + head.Length + parameters.Length + 2 <= LongLine)
        {
            Line($"{head}({parameters})");
            return;
        }
        Line(head + "(");
        _indent++;
        // As many continuation lines as the width needs, filled evenly rather than leaving one parameter on the last.
        int lines = (parameters.Length + ContinuationWidth - 1) / ContinuationWidth;
        int width = (parameters.Length + lines - 1) / lines + 12;
        var line = new StringBuilder();
        string[] parts = parameters.Split(new[] { ", " }, StringSplitOptions.None);
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i] + (i == parts.Length - 1 ? ")" : ",");
            if (line.Length > 0 && line.Length + 1 + part.Length > width)
            {
                Line(line.ToString());
                line.Clear();
            }
            line.Append(line.Length > 0 ? " " : "").Append(part);
        }
        Line(line.ToString());
        _indent--;
    }

    /// <summary>Writes <paramref name="text"/> as XML doc comment lines of at most about <paramref name="width"/> characters, broken between words.</summary>
    public void DocText(string text, int width = 140)
    {
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                Line("/// " + line);
                line.Clear();
            }
            line.Append(line.Length > 0 ? " " : "").Append(word);
        }
        if (line.Length > 0)
            Line("/// " + line);
    }

    public IDisposable Block(string header)
    {
        if (header.Length > 0)
            Line(header);
        Line("{");
        _indent++;
        return new Closer(this);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer(SourceWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.Line("}");
        }
    }
}
