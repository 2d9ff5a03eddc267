using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GqaGen.Generator.Tests.Infrastructure;

/// <summary>Runs <see cref="GqaLayoutGenerator"/> the way the compiler does, through <see cref="CSharpGeneratorDriver"/>.</summary>
internal static class GeneratorHarness
{
    public static GeneratorRun Run(params string[] sources) => Run(TestCompilations.Create(sources));

    public static GeneratorRun Run(Compilation input, GeneratorDriverOptions options = default, CSharpParseOptions? parseOptions = null)
        => RunAgain(CreateDriver(options, parseOptions), input);

    /// <summary>Runs an existing driver on a (possibly edited) compilation; the driver keeps the previous pass's cached state.</summary>
    public static GeneratorRun RunAgain(GeneratorDriver driver, Compilation input)
    {
        GeneratorDriver next = driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out var diagnostics);
        return new GeneratorRun(next, output, diagnostics);
    }

    /// <param name="parseOptions">How generated sources are parsed; match the input trees' options (the compiler does).</param>
    public static GeneratorDriver CreateDriver(GeneratorDriverOptions options = default, CSharpParseOptions? parseOptions = null)
        => CSharpGeneratorDriver.Create(
            [new GqaLayoutGenerator().AsSourceGenerator()],
            parseOptions: parseOptions ?? TestCompilations.ParseOptions,
            driverOptions: options);
}
