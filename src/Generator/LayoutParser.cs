using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using GqaGen.Generator.Emit;
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

    private const string SlidingWindowName = "SlidingWindow", StorageTypesName = "KvElementTypes";

    /// <summary>The runtime's flags enum the KvElementTypes option takes (mirrored by <see cref="KvStorageTypes"/>).</summary>
    private const string StorageTypesMetadataName = "GqaGen.KvElementTypes";

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
        // context.Attributes holds the type's layouts from this whole file, so with two partial declarations in one
        // file each would report (and emit) for both; keep only those written on this declaration.
        AttributeData[] onThisDeclaration = context.Attributes.Where(a => IsOn(declaration, a)).ToArray();
        foreach (AttributeData attribute in onThisDeclaration)
        {
            if (!ReferenceEquals(attribute, first) && !IsSameApplication(attribute, first))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayout, LocationOf(attribute, declaration, cancellationToken), type.Name));
        }

        AttributeData? mine = onThisDeclaration.FirstOrDefault(a => ReferenceEquals(a, first) || IsSameApplication(a, first));
        if (mine is null)
            return Result(null, diagnostics);

        Location location = LocationOf(mine, declaration, cancellationToken);
        bool valid = CheckDeclaration(type, declaration, location, diagnostics);
        int? heads = ReadArgument(mine, "Heads", type, context.SemanticModel, location, diagnostics, cancellationToken);
        int? kvGroups = ReadArgument(mine, "KvGroups", type, context.SemanticModel, location, diagnostics, cancellationToken);
        int? headDim = ReadArgument(mine, "HeadDim", type, context.SemanticModel, location, diagnostics, cancellationToken);
        // The options: left out, they mean every storage type and no window (a window written as 0 is GQA011 below).
        bool hasWindow = TryGetArgument(mine, SlidingWindowName, out _);
        int? window = hasWindow ? ReadArgument(mine, SlidingWindowName, type, context.SemanticModel, location, diagnostics, cancellationToken) : 0;
        KvStorageTypes? storageTypes = ReadStorageTypes(mine, type, context.SemanticModel, location, diagnostics, cancellationToken);
        if (heads is not int h || kvGroups is not int g || headDim is not int d || window is not int w || storageTypes is not KvStorageTypes types)
            return Result(null, diagnostics);

        valid &= CheckRange("Heads", h, GqaKernelNumbers.MaxHeads, location, diagnostics);
        valid &= CheckRange("KvGroups", g, GqaKernelNumbers.MaxHeads, location, diagnostics);
        valid &= CheckRange("HeadDim", d, GqaKernelNumbers.MaxHeadDim, location, diagnostics);
        if (h > 0 && g > 0 && h % g != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GroupsDoNotDivideHeads, location, g, h, LargestDivisorAtMost(h, g)));
            valid = false;
        }
        if (hasWindow && w <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowNotPositive, location, w));
            valid = false;
        }

        var layout = new LayoutSpec(
            NamespaceOf(type),
            ContainingTypesOf(type),
            TypeKeyword(type),
            Escape(type.Name),
            h, g, d,
            types,
            w,
            IsRegistrable(type));

        // The emitter names what it adds; with an invalid layout only the members every layout gets can be checked.
        IEnumerable<string> generatedNames = valid ? KernelEmitter.MemberNames(layout) : KernelEmitter.FixedMemberNames;
        foreach (string name in generatedNames)
        {
            // A type named like a generated member clashes too: members cannot share their type's name (CS0542).
            if (!type.GetMembers(name).IsEmpty || type.Name == name)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberConflict, location, type.Name, name));
                valid = false;
            }
        }

        return Result(valid ? layout : null, diagnostics);
    }

    private static ParseResult Result(LayoutSpec? layout, List<DiagnosticInfo> diagnostics)
        => new(layout, diagnostics.ToEquatableArray());

    private static bool IsOn(TypeDeclarationSyntax declaration, AttributeData attribute)
        => attribute.ApplicationSyntaxReference is { } application && application.SyntaxTree == declaration.SyntaxTree
           && declaration.AttributeLists.Any(list => list.Span.Contains(application.Span));

    private static bool IsSameApplication(AttributeData a, AttributeData? b)
        => b is not null && a.ApplicationSyntaxReference is { } x && b.ApplicationSyntaxReference is { } y
           && x.SyntaxTree == y.SyntaxTree && x.Span == y.Span;

    private static bool CheckDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Location location, List<DiagnosticInfo> diagnostics)
    {
        if (UnsupportedKind(type) is { } kind)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, location, type.Name, kind));
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

    /// <summary>Why kernels cannot be added to <paramref name="type"/>, or null when they can.</summary>
    private static string? UnsupportedKind(INamedTypeSymbol type)
    {
        if (type.IsStatic)
            return "a static class";
        if (type.IsRefLikeType)
            return "a ref struct";
        // The compiler also reports CS0592 here, but an interface would get kernels that hide, not implement, IGqaKernel's members.
        if (type.TypeKind == TypeKind.Interface)
            return "an interface";
        // A file-local type is visible only in its own file, so generated "partial" code in another file would
        // silently declare a different, unrelated type of the same name.
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal)
                return SymbolEqualityComparer.Default.Equals(current, type) ? "a file-local type" : "a type nested in the file-local type '" + current.Name + "'";
        }
        return null;
    }

    private static int? ReadArgument(AttributeData attribute, string name, INamedTypeSymbol type, SemanticModel model, Location location, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (!TryGetArgument(attribute, name, out TypedConstant argument))
        {
            // Positional or malformed arguments leave the named ones unread; say which one is missing.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingArgument, location, type.Name, name));
            return null;
        }

        string problem;
        if (argument.Kind == TypedConstantKind.Primitive && argument.Value is int value)
        {
            if (ExplicitlyConvertedFrom(attribute, name, model.Compilation.GetSpecialType(SpecialType.System_Int32), model, cancellationToken) is not { } castFrom)
                return value;
            problem = $"got {castFrom}, which converts to int only with a cast";
        }
        else
        {
            problem = argument.Kind == TypedConstantKind.Error ? "the value has an error or the wrong type" : $"got {argument.Type?.ToDisplayString() ?? "no type"}";
        }
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, location, type.Name, name, problem));
        return null;
    }

    /// <summary>
    /// The KvElementTypes option: All when it is left out, null (reported) when it is not a constant of the enum
    /// (GQA012) or selects no known storage type (GQA013). A cast such as <c>(KvElementTypes)3</c> is the user's
    /// explicit choice and is read as its value; a bare <c>3</c> converts only with a cast and is reported.
    /// </summary>
    private static KvStorageTypes? ReadStorageTypes(AttributeData attribute, INamedTypeSymbol type, SemanticModel model, Location location, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (!TryGetArgument(attribute, StorageTypesName, out TypedConstant argument))
            return KvStorageTypes.All;

        string problem;
        if (argument.Kind == TypedConstantKind.Enum && argument.Type?.ToDisplayString() == StorageTypesMetadataName && argument.Value is int bits)
        {
            if (ExplicitlyConvertedFrom(attribute, StorageTypesName, argument.Type, model, cancellationToken) is not { } castFrom)
            {
                int unknown = bits & ~(int)KvStorageTypes.All;
                if (bits != 0 && unknown == 0)
                    return (KvStorageTypes)bits;
                string what = bits == 0
                    ? "selects no storage type"
                    : $"has bits 0x{unknown.ToString("X", CultureInfo.InvariantCulture)} that name no storage type";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownStorageTypes, location, type.Name, Literal(bits), what));
                return null;
            }
            problem = $"got {castFrom}, which converts to KvElementTypes only with a cast";
        }
        else
        {
            problem = argument.Kind == TypedConstantKind.Error ? "the value has an error or the wrong type" : $"got {argument.Type?.ToDisplayString() ?? "no type"}";
        }
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStorageTypes, location, type.Name, problem));
        return null;

        // The value as the user can read it: the flag names where they cover it, the number otherwise.
        static string Literal(int bits) => bits == 0
            ? "None"
            : (bits & ~(int)KvStorageTypes.All) == 0
                ? KvStorage.Describe((KvStorageTypes)bits, "KvElementTypes.")
                : "(KvElementTypes)" + bits.ToString(CultureInfo.InvariantCulture);
    }

    private static bool TryGetArgument(AttributeData attribute, string name, out TypedConstant value)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                value = argument.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>
    /// The type of argument <paramref name="name"/>'s expression when it converts to <paramref name="target"/> only
    /// explicitly (Heads = 2.5, Heads = 3L, KvElementTypes = 3), else null. The compiler reports CS0266 but still folds
    /// such a value into a constant of the target type, so the constant alone would make the generator emit kernels
    /// for a value the user never wrote.
    /// </summary>
    private static string? ExplicitlyConvertedFrom(AttributeData attribute, string name, ITypeSymbol target, SemanticModel model, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } arguments }
            || arguments.SyntaxTree != model.SyntaxTree)
            return null;
        foreach (AttributeArgumentSyntax argument in arguments.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText != name)
                continue;
            Conversion conversion = model.ClassifyConversion(argument.Expression, target);
            return conversion.Exists && !conversion.IsImplicit
                ? model.GetTypeInfo(argument.Expression, cancellationToken).Type?.ToDisplayString()
                : null;
        }
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

    /// <summary>
    /// The largest divisor of <paramref name="heads"/> that is at most <paramref name="groups"/>. Divisors come in
    /// pairs (i, heads / i) with i ≤ √heads, so this takes at most √heads steps even for values near int.MaxValue,
    /// where counting down from <paramref name="groups"/> would stall the IDE for seconds.
    /// </summary>
    private static int LargestDivisorAtMost(int heads, int groups)
    {
        int best = 1;
        for (int i = 1; (long)i * i <= heads; i++)
        {
            if (heads % i != 0)
                continue;
            // The paired divisors shrink as i grows, so the first one that fits is the largest overall.
            int paired = heads / i;
            if (paired <= groups)
                return paired;
            if (i <= groups)
                best = i;
        }
        return best;
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

    private static bool IsRegistrable(INamedTypeSymbol type)
    {
        if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsStatic)
            return false;
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
                return false;
        }
        return true;
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
