using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GqaGen.Generator.Tests.Infrastructure;

/// <summary>
/// The inputs every test compilation shares. Reading reference metadata is the expensive part of a compilation,
/// so the references, options and an empty base compilation are built once; each test derives from
/// <see cref="Empty"/>, which lets Roslyn reuse the already-bound reference symbols.
/// </summary>
internal static class TestCompilations
{
    /// <summary>Parse options of a consumer on the newest language version; doc comments parsed but not checked (the SDK default without GenerateDocumentationFile).</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, DocumentationMode.Parse);

    /// <summary>Parse options of a consumer that sets GenerateDocumentationFile: doc comments are checked and malformed XML is a warning.</summary>
    public static CSharpParseOptions DocumentedParseOptions { get; } = ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>
    /// The strictest ordinary consumer: nullable enabled, every warning wave on (level 9999), no unsafe code
    /// (generated kernels must not need AllowUnsafeBlocks), warnings left as warnings so tests can tell them apart.
    /// </summary>
    public static CSharpCompilationOptions Options { get; } = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        .WithWarningLevel(9999)
        .WithAllowUnsafe(false)
        .WithDeterministic(true);

    /// <summary>The .NET shared framework (from the host's trusted platform assemblies) plus the GqaGen runtime, GqaGen.dll.</summary>
    public static ImmutableArray<MetadataReference> References { get; } = LoadReferences();

    /// <summary>A compilation with no sources; derive test compilations from it with AddSyntaxTrees.</summary>
    public static CSharpCompilation Empty { get; } = CSharpCompilation.Create("GqaGen.TestInput", [], References, Options);

    public static SyntaxTree Parse(string source, string path = "Input.cs", CSharpParseOptions? options = null)
        => CSharpSyntaxTree.ParseText(source, options ?? ParseOptions, path);

    /// <summary>A compilation of the given sources, named Input0.cs, Input1.cs… in order.</summary>
    public static CSharpCompilation Create(params string[] sources)
        => Empty.AddSyntaxTrees(sources.Select((source, i) => Parse(source, $"Input{i}.cs")));

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // Only the shared framework's assemblies, not every assembly of the test host (xunit, Roslyn…):
        // a test compilation should see what a net10.0 library sees, and nothing more.
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")
            ?? throw new InvalidOperationException("The host did not provide TRUSTED_PLATFORM_ASSEMBLIES.");
        IEnumerable<string> framework = trusted
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.OrdinalIgnoreCase));

        return framework
            .Append(typeof(GqaGen.KvCache).Assembly.Location)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}
