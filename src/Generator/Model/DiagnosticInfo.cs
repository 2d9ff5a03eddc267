using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GqaGen.Generator.Model;

/// <summary>
/// A diagnostic carried through the pipeline by value: the descriptor, the location as file path and spans
/// (a <see cref="Location"/> would keep the syntax tree alive), and the message arguments.
/// </summary>
internal sealed record DiagnosticInfo(
    DiagnosticDescriptor Descriptor,
    string FilePath,
    TextSpan Span,
    LinePositionSpan LineSpan,
    EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location location, params object?[] messageArgs)
    {
        FileLinePositionSpan lineSpan = location.GetLineSpan();
        string[] args = new string[messageArgs.Length];
        for (int i = 0; i < args.Length; i++)
            args[i] = messageArgs[i]?.ToString() ?? "";
        return new DiagnosticInfo(descriptor, lineSpan.Path ?? "", location.SourceSpan, lineSpan.Span, args.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        Location location = FilePath.Length == 0 && Span.IsEmpty
            ? Location.None
            : Location.Create(FilePath, Span, LineSpan);
        object[] args = new object[MessageArgs.Count];
        for (int i = 0; i < args.Length; i++)
            args[i] = MessageArgs[i];
        return Diagnostic.Create(Descriptor, location, args);
    }
}
