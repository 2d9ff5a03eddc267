using System.Globalization;
using System.Text;

namespace GqaGen.Generator.Tests.Fuzz;

/// <summary>
/// One randomly built [GqaLayout] declaration. It renders itself as C# and states, from the rules in the
/// attribute's documentation (not from the parser's code), whether the generator must accept it.
/// </summary>
internal sealed record FuzzCase(
    int Index,
    int? Heads,
    int? KvGroups,
    int? HeadDim,
    DeclarationKind Target,
    bool IsPartial,
    bool IsGeneric,
    IReadOnlyList<Container> Containers,
    NamespaceStyle Namespace,
    DuplicateStyle Duplicate,
    int ArgumentOrderSeed,
    OptionArgument? SlidingWindow = null,
    OptionArgument? KvElementTypes = null)
{
    public string FilePath => $"Fuzz{Index}.cs";

    public string TypeName => $"Layout{Index}";

    /// <summary>Whether the generator must emit kernels and report nothing: the layout's rules hold and the type can take generated members.</summary>
    public bool IsValid => IsValidIgnoringDuplicates && Duplicate == DuplicateStyle.None;

    /// <summary>Valid except for a second [GqaLayout]: GQA008 is reported, and the first layout still emits.</summary>
    public bool IsValidIgnoringDuplicates =>
        Heads is >= 1 and <= 1024 && KvGroups >= 1 && HeadDim is >= 1 and <= 512 && Heads % KvGroups == 0
        && IsPartial && Containers.All(c => c.IsPartial)
        && !IsGeneric && !Containers.Any(c => c.IsGeneric)
        && Target is not (DeclarationKind.StaticClass or DeclarationKind.Interface)
        && (SlidingWindow?.IsValid ?? true) && (KvElementTypes?.IsValid ?? true);

    /// <summary>The class the option expressions may name: a constant of each option's type, and a value that is not constant.</summary>
    public string SizesClass => $"FuzzSizes{Index}";

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("using GqaGen;");
        string ns = $"Fuzz{Index}";
        if (Namespace == NamespaceStyle.FileScoped)
            text.AppendLine($"namespace {ns};");
        else if (Namespace == NamespaceStyle.Block)
            text.AppendLine($"namespace {ns} {{");
        text.AppendLine($"public static class {SizesClass} {{ public const int Window = 4096; public const KvElementTypes Halves = KvElementTypes.Float16 | KvElementTypes.BFloat16; public static readonly int NotConstant = 8; public static readonly KvElementTypes NotConstantTypes = KvElementTypes.All; }}");

        for (int depth = 0; depth < Containers.Count; depth++)
        {
            Container container = Containers[depth];
            text.AppendLine($"{Modifiers(container.Kind, container.IsPartial)} {Keyword(container.Kind)} Outer{Index}_{depth}{(container.IsGeneric ? "<T>" : "")} {{");
        }

        var arguments = new Random(ArgumentOrderSeed);
        string layout = Attribute(Heads, KvGroups, HeadDim, arguments, SlidingWindow, KvElementTypes, SizesClass);
        // A second layout that is valid on its own, so that only the duplication is wrong.
        string second = Attribute(8, 2, 16, arguments, null, null, SizesClass);
        string declaration = $"{Modifiers(Target, IsPartial)} {Keyword(Target)} {TypeName}{(IsGeneric ? "<T>" : "")}";
        string body = Target is DeclarationKind.Record or DeclarationKind.RecordStruct || Index % 2 == 0 ? ";" : " { }";
        switch (Duplicate)
        {
            case DuplicateStyle.None:
                text.AppendLine($"{layout} {declaration}{body}");
                break;
            case DuplicateStyle.SameDeclaration:
                text.AppendLine($"{layout}\n{second} {declaration}{body}");
                break;
            case DuplicateStyle.SecondPartialDeclaration:
                text.AppendLine($"{layout} {declaration}{body}");
                text.AppendLine($"{second} {declaration}{body}");
                break;
        }

        for (int depth = Containers.Count - 1; depth >= 0; depth--)
            text.AppendLine("}");
        if (Namespace == NamespaceStyle.Block)
            text.AppendLine("}");
        return text.ToString();
    }

    private static string Attribute(int? heads, int? kvGroups, int? headDim, Random order, OptionArgument? window, OptionArgument? types, string sizesClass)
    {
        var arguments = new List<string>();
        if (window is not null)
            arguments.Add("SlidingWindow = " + window.Expression.Replace("Sizes.", sizesClass + ".", StringComparison.Ordinal));
        if (types is not null)
            arguments.Add("KvElementTypes = " + types.Expression.Replace("Sizes.", sizesClass + ".", StringComparison.Ordinal));
        if (heads is { } h)
            arguments.Add("Heads = " + Literal(h));
        if (kvGroups is { } g)
            arguments.Add("KvGroups = " + Literal(g));
        if (headDim is { } d)
            arguments.Add("HeadDim = " + Literal(d));
        return $"[GqaLayout({string.Join(", ", arguments.OrderBy(_ => order.Next()))})]";
    }

    private static string Literal(int value) => value switch
    {
        int.MinValue => "int.MinValue",
        int.MaxValue => "int.MaxValue",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private static string Modifiers(DeclarationKind kind, bool isPartial)
        => (kind == DeclarationKind.StaticClass ? "public static" : "public") + (isPartial ? " partial" : "");

    private static string Keyword(DeclarationKind kind) => kind switch
    {
        DeclarationKind.Class or DeclarationKind.StaticClass => "class",
        DeclarationKind.Struct => "struct",
        DeclarationKind.Record => "record",
        DeclarationKind.RecordStruct => "record struct",
        DeclarationKind.Interface => "interface",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public override string ToString() => $"case {Index} ({(IsValid ? "valid" : "invalid")}):{Environment.NewLine}{Render()}";
}
