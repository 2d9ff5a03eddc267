using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GqaGen.Generator;

/// <summary>
/// Generates decode-attention and KV-append kernels for every type marked [GqaLayout]:
/// attribute → <see cref="LayoutParser"/> → <see cref="LayoutSpec"/> (the cache boundary) → <see cref="KernelEmitter"/>,
/// and all layouts together → <see cref="RegistryEmitter"/> (one registry per compilation).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GqaLayoutGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the parse step, for incremental-caching tests.</summary>
    public const string ParseStep = "GqaLayout.Parse";

    /// <summary>Tracking name of the step that adds the compilation's facts (AllowUnsafe) to each parsed layout.</summary>
    public const string CompilationFactsStep = "GqaLayout.WithCompilationFacts";

    /// <summary>Tracking name of the step that gathers every layout for the registry.</summary>
    public const string RegistryStep = "GqaLayout.Registry";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> layouts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                LayoutParser.AttributeMetadataName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: LayoutParser.Parse)
            .WithTrackingName(ParseStep);

        // Only the one bool is taken from the compilation (Select, not Combine with the Compilation), so editing
        // code elsewhere yields an equal value and leaves every layout's output cached.
        IncrementalValueProvider<bool> allowsUnsafeCode = context.CompilationProvider
            .Select(static (compilation, _) => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true });

        IncrementalValuesProvider<ParseResult> emitted = layouts
            .Combine(allowsUnsafeCode)
            .Select(static (pair, _) => pair.Left.Layout is { } layout
                ? pair.Left with { Layout = layout with { AllowsUnsafeCode = pair.Right } }
                : pair.Left)
            .WithTrackingName(CompilationFactsStep);

        context.RegisterSourceOutput(emitted, static (output, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (result.Layout is { } layout)
                output.AddSource(KernelEmitter.HintName(layout), KernelEmitter.Emit(layout));
        });

        IncrementalValueProvider<EquatableArray<LayoutSpec>> allLayouts = layouts
            .Where(static result => result.Layout is not null)
            .Select(static (result, _) => result.Layout!)
            .Collect()
            .Select(static (specs, _) => new EquatableArray<LayoutSpec>(specs))
            .WithTrackingName(RegistryStep);

        context.RegisterSourceOutput(allLayouts, static (output, specs) =>
        {
            if (RegistryEmitter.Emit(specs) is { } source)
                output.AddSource(RegistryEmitter.HintName, source);
        });
    }
}
