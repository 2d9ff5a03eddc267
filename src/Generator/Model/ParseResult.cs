namespace GqaGen.Generator.Model;

/// <summary>What the parser found on one annotated declaration: a layout to emit (null when it is invalid) and the diagnostics to report.</summary>
internal sealed record ParseResult(LayoutSpec? Layout, EquatableArray<DiagnosticInfo> Diagnostics);
