using Microsoft.CodeAnalysis;

namespace GqaGen.Generator;

/// <summary>Every diagnostic the generator reports. Each is an error located on the [GqaLayout] attribute (or the type) and names the bad value and the fix.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "GqaGen";

    public static readonly DiagnosticDescriptor GroupsDoNotDivideHeads = new(
        "GQA001", "KvGroups must divide Heads",
        "KvGroups = {0} does not divide Heads = {1}: each of the KvGroups K/V heads must serve the same number of query heads. Use a divisor of {1}, such as {2}.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ValueNotPositive = new(
        "GQA002", "Layout values must be positive",
        "{0} = {1} is not allowed: {0} must be at least 1",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ValueAboveMaximum = new(
        "GQA003", "Layout value above its maximum",
        "{0} = {1} is above the supported maximum of {2}; use a value from 1 to {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        "GQA004", "The annotated type and its containing types must be partial",
        "'{0}' must be declared partial so that GqaGen can add the generated kernels to it: write 'partial {1} {0}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericType = new(
        "GQA005", "The annotated type cannot be generic or nested in a generic type",
        "'{0}' is generic or nested in the generic type '{1}': a layout's kernels are static and cannot depend on type parameters. Declare it in a non-generic type.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingArgument = new(
        "GQA006", "Layout argument missing",
        "[GqaLayout] on '{0}' does not set {1}; write [GqaLayout(Heads = ..., KvGroups = ..., HeadDim = ...)]",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidArgument = new(
        "GQA007", "Layout argument is not an integer constant",
        "[GqaLayout] on '{0}': {1} must be a constant int; {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateLayout = new(
        "GQA008", "Layout declared more than once",
        "'{0}' already has a [GqaLayout]; a type has exactly one layout. Remove this attribute, or declare another type for the other layout.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedTypeKind = new(
        "GQA009", "Unsupported kind of type",
        "'{0}' is {1}, which cannot implement IGqaKernel; put [GqaLayout] on a non-static partial class or struct",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MemberConflict = new(
        "GQA010", "Type already declares a generated member",
        "'{0}' already declares a member named '{1}', which GqaGen generates; rename or remove it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor WindowNotPositive = new(
        "GQA011", "SlidingWindow must be positive",
        "SlidingWindow = {0} is not allowed: a sliding window covers at least 1 position. Leave SlidingWindow out for a layout without a window.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidStorageTypes = new(
        "GQA012", "KvElementTypes is not a constant KvElementTypes value",
        "[GqaLayout] on '{0}': KvElementTypes must be a constant KvElementTypes value, such as KvElementTypes.Float16 | KvElementTypes.Q8_0; {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownStorageTypes = new(
        "GQA013", "KvElementTypes selects no known storage type",
        "[GqaLayout] on '{0}': KvElementTypes = {1} {2}; use one or more of KvElementTypes.Float32, Float16, BFloat16 and Q8_0, or leave KvElementTypes out for all of them",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
