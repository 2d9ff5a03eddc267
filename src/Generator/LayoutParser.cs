using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GqaGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GqaGen.Generator;

/// <summary>
/// Turns one [GqaLayout] declaration into a <see cref="LayoutSpec"/> and diagnostics. It reads the symbol and
/// syntax here, once, and keeps nothing of them in what it returns.
/// </summary>
internal static class LayoutParser
{
    public const string AttributeMetadataName = "GqaGen.GqaLayoutAttribute";

    /// <summary>Largest HeadDim the kernels support (mirrors GqaShape.MaxHeadDim in the runtime).</summary>
    public const int MaxHeadDim = 512;

    /// <summary>Largest Heads the kernels support (mirrors GqaShape.MaxHeads in the runtime).</summary>
    public const int MaxHeads = 1024;

    /// <summary>Member names the emitter adds to the annotated type; a user member with one of them would clash.</summary>
    public static readonly ImmutableArray<string> GeneratedMemberNames = ImmutableArray.Create(
        "Heads", "KvGroups", "HeadDim", "HeadsPerGroup", "Scale", "Shape", "ActivePath", "AppendKv", "Decode",
        "DecodeAvx512", "DecodeAvx2", "DecodeScalar", "ScoreTileAvx512", "ScoreTileAvx2", "AccumulateValuesAvx512", "AccumulateValuesAvx2", "CopyRow");

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

        // A type has one layout. With several [GqaLayout]s (the attribute allows several so that this, not CS0579,
        // is the error), only the declaration holding the first one emits, and every other one is reported.
        AttributeData[] allLayouts = type.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName)
            .ToArray();
        AttributeData? first = allLayouts.FirstOrDefault();
        foreach (AttributeData attribute in context.Attributes)
        {
            if (!ReferenceEquals(attribute, first) && !IsSameApplication(attribute, first))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayout, LocationOf(attribute, declaration, cancellationToken), type.Name));
        }

        AttributeData? mine = context.Attributes.FirstOrDefault(a => ReferenceEquals(a, first) || IsSameApplication(a, first));
        if (mine is null)
            return Result(null, diagnostics);

        Location location = LocationOf(mine, declaration, cancellationToken);
        bool valid = CheckDeclaration(type, declaration, location, diagnostics);
        int? heads = ReadArgument(mine, "Heads", type, location, diagnostics);
        int? kvGroups = ReadArgument(mine, "KvGroups", type, location, diagnostics);
        int? headDim = ReadArgument(mine, "HeadDim", type, location, diagnostics);
        if (heads is not int h || kvGroups is not int g || headDim is not int d)
            return Result(null, diagnostics);

        valid &= CheckRange("Heads", h, MaxHeads, location, diagnostics);
        valid &= CheckRange("KvGroups", g, MaxHeads, location, diagnostics);
        valid &= CheckRange("HeadDim", d, MaxHeadDim, location, diagnostics);
        if (h > 0 && g > 0 && h % g != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GroupsDoNotDivideHeads, location, g, h, LargestDivisorAtMost(h, g)));
            valid = false;
        }

        foreach (string name in GeneratedMemberNames)
        {
            if (!type.GetMembers(name).IsEmpty)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, location, type.Name, name));
                valid = false;
            }
        }

        if (!valid)
            return Result(null, diagnostics);

        var layout = new LayoutSpec(
            NamespaceOf(type),
            ContainingTypesOf(type),
            TypeKeyword(type),
            Escape(type.Name),
            h, g, d);
        return Result(layout, diagnostics);
    }

    private static ParseResult Result(LayoutSpec? layout, List<DiagnosticInfo> diagnostics)
        => new(layout, diagnostics.ToEquatableArray());

    private static bool IsSameApplication(AttributeData a, AttributeData? b)
        => b is not null && a.ApplicationSyntaxReference is { } x && b.ApplicationSyntaxReference is { } y
           && x.SyntaxTree == y.SyntaxTree && x.Span == y.Span;

    private static bool CheckDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Location location, List<DiagnosticInfo> diagnostics)
    {
        if (type.IsStatic || type.IsRefLikeType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, location, type.Name, type.IsStatic ? "static class" : "ref struct"));
            return false;
        }

        bool valid = true;
        for (SyntaxNode? node = declaration; node is TypeDeclarationSyntax typeSyntax; node = node.Parent)
        {
            if (!typeSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, location, typeSyntax.Identifier.ValueText, KeywordOf(typeSyntax)));
                valid = false;
            }
        }

        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.TypeParameters.Length > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericType, location, type.Name, current.Name));
                valid = false;
                break;
            }
        }
        return valid;
    }

    private static int? ReadArgument(AttributeData attribute, string name, INamedTypeSymbol type, Location location, List<DiagnosticInfo> diagnostics)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key != name)
                continue;
            if (argument.Value.Kind == TypedConstantKind.Primitive && argument.Value.Value is int value)
                return value;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, location, type.Name, name,
                argument.Value.Kind == TypedConstantKind.Error ? "the value has an error or the wrong type" : $"got {argument.Value.Type?.ToDisplayString() ?? "no type"}"));
            return null;
        }

        // Positional or malformed arguments leave the named ones unread; say which one is missing.
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingArgument, location, type.Name, name));
        return null;
    }

    private static bool CheckRange(string name, int value, int maximum, Location location, List<DiagnosticInfo> diagnostics)
    {
        if (value <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ValueNotPositive, location, name, value));
            return false;
        }
        if (value > maximum)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ValueAboveMaximum, location, name, value, maximum));
            return false;
        }
        return true;
    }

    private static int LargestDivisorAtMost(int heads, int groups)
    {
        for (int candidate = System.Math.Min(groups, heads); candidate > 1; candidate--)
        {
            if (heads % candidate == 0)
                return candidate;
        }
        return 1;
    }

    private static Location LocationOf(AttributeData attribute, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
        => attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? declaration.Identifier.GetLocation();

    private static string NamespaceOf(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            parts.Insert(0, Escape(ns.Name));
        return string.Join(".", parts);
    }

    private static EquatableArray<string> ContainingTypesOf(INamedTypeSymbol type)
    {
        var containing = new List<string>();
        for (INamedTypeSymbol? current = type.ContainingType; current is not null; current = current.ContainingType)
            containing.Insert(0, "partial " + TypeKeyword(current) + " " + Escape(current.Name));
        return containing.ToEquatableArray();
    }

    private static string TypeKeyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string KeywordOf(TypeDeclarationSyntax syntax) => syntax switch
    {
        RecordDeclarationSyntax record => record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        _ => syntax.Keyword.ValueText,
    };

    private static string Escape(string identifier)
        => SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(identifier) == SyntaxKind.UnderscoreToken
            ? "@" + identifier
            : identifier;
}
