using System.Collections;
using System.Reflection;
using GqaGen.Generator.Model;
using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The parse step's output is the incremental cache: holding a symbol, syntax node, compilation, semantic model
/// or location would keep a whole compilation alive between keystrokes and break value equality, so caching
/// would silently stop working. Checked twice: on the declared types, and on real values from a parse.
/// </summary>
public sealed class ModelPurityTests
{
    /// <summary>Roslyn types that tie a value to one compilation.</summary>
    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(AttributeData)];

    private static readonly Assembly GeneratorAssembly = typeof(LayoutSpec).Assembly;

    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    [Theory]
    [InlineData(typeof(LayoutSpec))]
    [InlineData(typeof(ParseResult))]
    [InlineData(typeof(DiagnosticInfo))]
    [InlineData(typeof(EquatableArray<string>))]
    public void Model_types_declare_no_compilation_bound_members(Type modelType)
    {
        var problems = new List<string>();
        WalkType(modelType, modelType.Name, new HashSet<Type>(), problems);

        Assert.True(problems.Count == 0, "Compilation-bound members in the model:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Real_parse_results_hold_no_compilation_bound_values()
    {
        // One valid layout (a LayoutSpec) and one invalid (DiagnosticInfos), read from the tracked parse step.
        GeneratorRun run = GeneratorHarness.Run(
            TestCompilations.Create(
                "using GqaGen; namespace Models; public partial class Outer { [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] public partial struct Llama; }",
                "using GqaGen; namespace Models; [GqaLayout(Heads = 32, KvGroups = 5)] public partial struct Broken;"),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        ParseResult[] results = run.GeneratorResult.TrackedSteps[GqaLayoutGenerator.ParseStep]
            .SelectMany(step => step.Outputs)
            .Select(output => Assert.IsType<ParseResult>(output.Value))
            .ToArray();
        Assert.Contains(results, r => r.Layout is not null);
        Assert.Contains(results, r => r.Diagnostics.Count > 0);

        var problems = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (ParseResult result in results)
            WalkValue(result, nameof(ParseResult), visited, problems);

        Assert.True(problems.Count == 0, "Compilation-bound values in parse results:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    /// <summary>Checks the type of every field and property, descending into the generator's own types and into type arguments.</summary>
    private static void WalkType(Type type, string path, HashSet<Type> visited, List<string> problems)
    {
        if (IsForbidden(type))
        {
            problems.Add($"{path}: {type.FullName}");
            return;
        }
        if (!visited.Add(type))
            return;
        foreach (Type argument in type.GetGenericArguments())
            WalkType(argument, $"{path}<{argument.Name}>", visited, problems);
        if (type.IsArray)
            WalkType(type.GetElementType()!, path + "[]", visited, problems);
        // Other assemblies' types (string, ImmutableArray, DiagnosticDescriptor, TextSpan) are leaves: only their type arguments matter.
        if (type.Assembly != GeneratorAssembly)
            return;
        foreach (FieldInfo field in type.GetFields(Instance))
            WalkType(field.FieldType, $"{path}.{field.Name}", visited, problems);
        foreach (PropertyInfo property in type.GetProperties(Instance))
            WalkType(property.PropertyType, $"{path}.{property.Name}", visited, problems);
    }

    /// <summary>Checks the runtime type of every value reachable from <paramref name="value"/> through the generator's types and through collections.</summary>
    private static void WalkValue(object? value, string path, HashSet<object> visited, List<string> problems)
    {
        if (value is null || value is string || value.GetType().IsPrimitive)
            return;
        if (IsForbidden(value.GetType()))
        {
            problems.Add($"{path}: {value.GetType().FullName}");
            return;
        }
        if (!value.GetType().IsValueType && !visited.Add(value))
            return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items)
                WalkValue(item, $"{path}[{i++}]", visited, problems);
        }
        if (value.GetType().Assembly != GeneratorAssembly)
            return;
        foreach (FieldInfo field in value.GetType().GetFields(Instance))
            WalkValue(field.GetValue(value), $"{path}.{field.Name}", visited, problems);
        foreach (PropertyInfo property in value.GetType().GetProperties(Instance).Where(p => p.GetIndexParameters().Length == 0))
            WalkValue(property.GetValue(value), $"{path}.{property.Name}", visited, problems);
    }

    private static bool IsForbidden(Type type) => Forbidden.Any(forbidden => forbidden.IsAssignableFrom(type));
}
