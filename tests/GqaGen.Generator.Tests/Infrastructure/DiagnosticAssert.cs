using Microsoft.CodeAnalysis;

namespace GqaGen.Generator.Tests.Infrastructure;

/// <summary>Assertions about where and what the generator reports.</summary>
internal static class DiagnosticAssert
{
    /// <summary>
    /// Every diagnostic must sit on a [GqaLayout] attribute, the spot the user has to fix. The generator rebuilds
    /// locations from a file path and span (a cached model cannot hold a syntax tree), so the diagnostic carries an
    /// external-file location: find the tree by path in <paramref name="compilation"/> and read the span there.
    /// </summary>
    public static void IsOnLayoutAttribute(Diagnostic diagnostic, Compilation compilation)
    {
        if (LocationProblem(diagnostic, compilation) is { } problem)
            Assert.Fail(problem);
    }

    /// <summary>Why <paramref name="diagnostic"/> is not on a [GqaLayout] attribute, or null when it is (see <see cref="IsOnLayoutAttribute"/>).</summary>
    public static string? LocationProblem(Diagnostic diagnostic, Compilation compilation)
    {
        string path = diagnostic.Location.GetLineSpan().Path;
        SyntaxTree? tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == path);
        if (tree is null)
            return $"{diagnostic.Id} points at '{path}', which is not a file of the compilation: {diagnostic}";
        string text = tree.GetText().ToString(diagnostic.Location.SourceSpan);
        return text.StartsWith("GqaLayout", StringComparison.Ordinal) ? null : $"{diagnostic.Id} is located on '{text}', not on the [GqaLayout] attribute.";
    }
}
