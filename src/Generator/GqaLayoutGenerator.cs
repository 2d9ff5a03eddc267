using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace GqaGen.Generator;

/// <summary>
/// Generates decode-attention and KV-append kernels for every type marked [GqaLayout]:
/// attribute → <see cref="LayoutParser"/> → <see cref="LayoutSpec"/> (the cache boundary) → <see cref="KernelEmitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GqaLayoutGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the parse step, for incremental-caching tests.</summary>
    public const string ParseStep = "GqaLayout.Parse";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> layouts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                LayoutParser.AttributeMetadataName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: LayoutParser.Parse)
            .WithTrackingName(ParseStep);

        context.RegisterSourceOutput(layouts, static (output, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (result.Layout is { } layout)
                output.AddSource(KernelEmitter.HintName(layout), KernelEmitter.Emit(layout));
        });
    }
}
