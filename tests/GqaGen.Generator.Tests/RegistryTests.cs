using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;
using GqaGen.Generator.Tests.Infrastructure;

namespace GqaGen.Generator.Tests;

/// <summary>The per-compilation layout registry: what it lists, what it leaves out, and that it compiles.</summary>
public sealed class RegistryTests
{
    [Fact]
    public void Registry_lists_every_layout_in_source_order_and_compiles()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using GqaGen;
            namespace Models
            {
                [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)] public partial struct Llama3_8B;
                internal static partial class Outer
                {
                    [GqaLayout(Heads = 4, KvGroups = 1, HeadDim = 16)] internal partial class Mqa;
                }
            }
            [GqaLayout(Heads = 2, KvGroups = 2, HeadDim = 8)] partial record struct GlobalMha;
            """);

        run.AssertNoGeneratorException();
        string registry = Assert.IsType<string>(run.RegistrySource);
        int first = registry.IndexOf("GqaAttention.For<global::Models.Llama3_8B>()", StringComparison.Ordinal);
        int second = registry.IndexOf("GqaAttention.For<global::Models.Outer.Mqa>()", StringComparison.Ordinal);
        int third = registry.IndexOf("GqaAttention.For<global::GlobalMha>()", StringComparison.Ordinal);
        Assert.True(first > 0 && second > first && third > second, "The registry does not list the three layouts in source order:\n" + registry);
        Assert.Contains("[global::System.Runtime.CompilerServices.ModuleInitializer]", registry, StringComparison.Ordinal);
        Assert.True(run.OutputProblems().IsEmpty, "The output does not compile cleanly:" + GeneratorRun.Describe(run.OutputProblems()));
    }

    [Fact]
    public void Private_nested_layout_is_named_in_a_comment_but_not_listed()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using GqaGen;
            namespace Models;
            public partial class Host
            {
                [GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)] private partial struct Hidden;
            }
            [GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 16)] public partial struct Visible;
            """);

        run.AssertNoGeneratorException();
        string registry = Assert.IsType<string>(run.RegistrySource);
        Assert.DoesNotContain("For<global::Models.Host.Hidden>", registry, StringComparison.Ordinal);
        Assert.Contains("// Not listed: Models.Host.Hidden", registry, StringComparison.Ordinal);
        Assert.Contains("For<global::Models.Visible>", registry, StringComparison.Ordinal);
        Assert.True(run.OutputProblems().IsEmpty, "The output does not compile cleanly:" + GeneratorRun.Describe(run.OutputProblems()));
    }

    [Fact]
    public void No_valid_layout_emits_no_registry()
    {
        GeneratorRun none = GeneratorHarness.Run("namespace Models; public partial struct Plain;");
        GeneratorRun invalid = GeneratorHarness.Run("using GqaGen; [GqaLayout(Heads = 6, KvGroups = 4, HeadDim = 16)] public partial struct Bad;");

        Assert.Null(none.RegistrySource);
        Assert.Null(invalid.RegistrySource);
        Assert.Contains(invalid.GqaDiagnostics, d => d.Id == "GQA001");
    }

    [Fact]
    public void Emitter_is_a_pure_function_of_the_layouts()
    {
        var a = new LayoutSpec("Models", EquatableArray<string>.Empty, "struct", "A", 4, 2, 16);
        var hidden = a with { TypeName = "H", IsRegistrable = false };

        Assert.Equal(RegistryEmitter.Emit(Array(a, hidden)), RegistryEmitter.Emit(Array(a with { }, hidden with { })));
        Assert.Null(RegistryEmitter.Emit(Array(hidden)));
        Assert.Null(RegistryEmitter.Emit(EquatableArray<LayoutSpec>.Empty));
    }

    private static EquatableArray<LayoutSpec> Array(params LayoutSpec[] specs) => new(System.Collections.Immutable.ImmutableArray.Create(specs));
}
