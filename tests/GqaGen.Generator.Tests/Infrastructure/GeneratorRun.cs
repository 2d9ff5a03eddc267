using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GqaGen.Generator.Tests.Infrastructure;

/// <summary>The outcome of one generator pass over a compilation, with the compilation that includes its output.</summary>
internal sealed class GeneratorRun(GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> driverDiagnostics)
{
    /// <summary>The driver after the pass; run it again on an edited compilation to test incremental caching.</summary>
    public GeneratorDriver Driver { get; } = driver;

    public GeneratorDriverRunResult Result { get; } = driver.GetRunResult();

    public GeneratorRunResult GeneratorResult => Result.Results.Single();

    /// <summary>The input compilation with the generated sources added.</summary>
    public Compilation Output { get; } = output;

    /// <summary>What the driver itself reported: the generator's diagnostics, and CS8785 when the generator threw.</summary>
    public ImmutableArray<Diagnostic> DriverDiagnostics { get; } = driverDiagnostics;

    public ImmutableArray<Diagnostic> GqaDiagnostics => GeneratorResult.Diagnostics.Where(d => d.Id.StartsWith("GQA", StringComparison.Ordinal)).ToImmutableArray();

    /// <summary>The kernel sources, one per emitted layout (the registry, one per compilation, is <see cref="RegistrySource"/>).</summary>
    public ImmutableArray<GeneratedSourceResult> GeneratedSources =>
        GeneratorResult.GeneratedSources.Where(s => s.HintName != Emit.RegistryEmitter.HintName).ToImmutableArray();

    /// <summary>The layout registry's source, or null when none was emitted.</summary>
    public string? RegistrySource =>
        GeneratorResult.GeneratedSources.Where(s => s.HintName == Emit.RegistryEmitter.HintName).Select(s => s.SourceText.ToString()).SingleOrDefault();

    /// <summary>Errors and warnings of the compiled output (user code and generated code together).</summary>
    public ImmutableArray<Diagnostic> OutputProblems()
        => Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();

    /// <summary>Fails when the generator threw: the run result carries the exception, and the driver reports CS8785 (AD0001 for analyzers).</summary>
    public void AssertNoGeneratorException()
    {
        Assert.True(GeneratorResult.Exception is null, $"The generator threw: {GeneratorResult.Exception}");
        Diagnostic[] crashes = DriverDiagnostics.Concat(Result.Diagnostics)
            .Where(d => d.Id is "CS8785" or "AD0001")
            .ToArray();
        Assert.True(crashes.Length == 0, "The driver reported a generator failure: " + Describe(crashes));
    }

    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        string text = string.Join(Environment.NewLine, diagnostics.Select(d => "  " + d));
        return text.Length == 0 ? "(none)" : Environment.NewLine + text;
    }
}
