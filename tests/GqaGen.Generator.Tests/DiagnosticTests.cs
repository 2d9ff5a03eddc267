using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace GqaGen.Generator.Tests;

/// <summary>
/// One test per diagnostic id: each source breaks exactly one rule, so it must produce that id and nothing else
/// (no other GQA id, and no compiler error unless the mistake is itself a C# error, as a string for an int is).
/// </summary>
public sealed class DiagnosticTests
{
    private const string Valid = "Heads = 32, KvGroups = 8, HeadDim = 64";

    [Theory]
    [InlineData("Heads = 32, KvGroups = 5, HeadDim = 64")]
    [InlineData("Heads = 9, KvGroups = 2, HeadDim = 64")]
    [InlineData("Heads = 4, KvGroups = 8, HeadDim = 64")] // more K/V heads than query heads
    public void GQA001_is_reported_when_KvGroups_does_not_divide_Heads(string arguments)
        => AssertOnly("GQA001", $"[GqaLayout({arguments})] public partial struct Model;");

    [Theory]
    [InlineData("Heads = 0, KvGroups = 1, HeadDim = 64")]
    [InlineData("Heads = 32, KvGroups = -1, HeadDim = 64")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = int.MinValue")]
    [InlineData("Heads = int.MinValue, KvGroups = int.MinValue, HeadDim = 0")]
    public void GQA002_is_reported_for_a_value_that_is_not_positive(string arguments)
        => AssertOnly("GQA002", $"[GqaLayout({arguments})] public partial struct Model;");

    [Theory]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = 513")]
    [InlineData("Heads = 1025, KvGroups = 1, HeadDim = 64")]
    [InlineData("Heads = 1025, KvGroups = 5, HeadDim = int.MaxValue")]
    public void GQA003_is_reported_for_a_value_above_its_maximum(string arguments)
        => AssertOnly("GQA003", $"[GqaLayout({arguments})] public partial struct Model;");

    [Theory]
    [InlineData($"[GqaLayout({Valid})] public struct Model;")]
    [InlineData($"[GqaLayout({Valid})] public sealed record Model;")]
    [InlineData($"public class Models {{ [GqaLayout({Valid})] public partial struct Model; }}")]
    [InlineData($"public partial class Models {{ public struct Family {{ [GqaLayout({Valid})] public partial struct Model; }} }}")]
    public void GQA004_is_reported_when_the_type_or_a_containing_type_is_not_partial(string declaration)
        => AssertOnly("GQA004", declaration);

    [Theory]
    [InlineData($"[GqaLayout({Valid})] public partial class Model<T>;")]
    [InlineData($"public partial class Models<T> {{ [GqaLayout({Valid})] public partial struct Model; }}")]
    [InlineData($"public partial class Models<T> {{ public partial class Family {{ [GqaLayout({Valid})] public partial struct Model; }} }}")]
    public void GQA005_is_reported_for_a_generic_type_or_one_nested_in_a_generic_type(string declaration)
        => AssertOnly("GQA005", declaration);

    [Theory]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8)]")]
    [InlineData("[GqaLayout(KvGroups = 8, HeadDim = 64)]")]
    [InlineData("[GqaLayout(Heads = 32, HeadDim = 64)]")]
    [InlineData("[GqaLayout]")]
    [InlineData("[GqaLayout()]")]
    public void GQA006_is_reported_for_a_missing_argument(string attribute)
        => AssertOnly("GQA006", attribute + " public partial struct Model;");

    [Theory]
    [InlineData("Heads = \"32\", KvGroups = 8, HeadDim = 64", "CS0029")]
    [InlineData("Heads = 32, KvGroups = int.Parse(\"8\"), HeadDim = 64", "CS0182")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = Sizes.HeadDim", "CS0182")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = null", "CS0037")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = UndefinedName", "CS0103")]
    // The compiler still folds these into int constants (2 and 32): the generator must not emit kernels for them.
    [InlineData("Heads = 2.5, KvGroups = 1, HeadDim = 64", "CS0266")]
    [InlineData("Heads = 32L, KvGroups = 8, HeadDim = 64", "CS0266")]
    // SlidingWindow is an int too.
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = 64, SlidingWindow = Sizes.HeadDim", "CS0182")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = 64, SlidingWindow = 4096L", "CS0266")]
    [InlineData("Heads = 32, KvGroups = 8, HeadDim = 64, SlidingWindow = \"4096\"", "CS0029")]
    public void GQA007_is_reported_for_an_argument_that_is_not_a_constant_int(string arguments, string compilerError)
    {
        string source = "public static class Sizes { public static readonly int HeadDim = 64; }\n"
                        + $"[GqaLayout({arguments})] public partial struct Model;";
        GeneratorRun run = GeneratorHarness.Run(Wrap(source));

        run.AssertNoGeneratorException();
        AssertOnlyGqaId("GQA007", run);
        Assert.Empty(run.GeneratedSources);
        // Wrong-typed arguments are C# errors too; that one is expected, no other.
        Assert.Contains(run.OutputProblems(), d => d.Id == compilerError);
        Assert.All(run.OutputProblems(), d => Assert.True(d.Id is "CS0029" or "CS0182" or "CS0037" or "CS0103" or "CS0266", $"Unexpected: {d}"));
    }

    [Fact]
    public void GQA008_is_reported_for_two_layouts_on_one_declaration()
    {
        GeneratorRun run = AssertOnly("GQA008", $"[GqaLayout({Valid})] [GqaLayout(Heads = 8, KvGroups = 1, HeadDim = 16)] public partial struct Model;");

        // The first layout still emits, once.
        Assert.Single(run.GeneratedSources);
        Assert.Single(run.GqaDiagnostics);
    }

    [Fact]
    public void GQA008_is_reported_for_two_layouts_on_partial_declarations_in_two_files()
    {
        // Each declaration is a separate generator input; both must not emit (that would be a duplicate hint name, CS8785).
        GeneratorRun run = AssertOnlyIn("GQA008",
            Wrap($"[GqaLayout({Valid})] public partial struct Model {{ public void A() {{ }} }}"),
            Wrap("[GqaLayout(Heads = 8, KvGroups = 1, HeadDim = 16)] public partial struct Model { public void B() { } }"));

        Assert.Single(run.GeneratedSources);
        Diagnostic duplicate = Assert.Single(run.GqaDiagnostics);
        Assert.Equal("Input1.cs", duplicate.Location.GetLineSpan().Path);
        Assert.Contains("Heads = 32", run.GeneratedSources[0].SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GQA008_is_reported_for_two_layouts_on_partial_declarations_in_one_file()
    {
        // Roslyn hands each declaration every layout of the type in the same file; only its own may count,
        // or both declarations emit and the second AddSource throws on the duplicate hint name.
        GeneratorRun run = AssertOnly("GQA008",
            $"[GqaLayout({Valid})] public partial struct Model {{ public void A() {{ }} }}\n"
            + "[GqaLayout(Heads = 8, KvGroups = 1, HeadDim = 16)] public partial struct Model { public void B() { } }");

        Assert.Single(run.GeneratedSources);
        Assert.Single(run.GqaDiagnostics);
    }

    [Theory]
    [InlineData($"[GqaLayout({Valid})] public static partial class Model;")]
    [InlineData($"[GqaLayout({Valid})] public ref partial struct Model;")]
    [InlineData($"[GqaLayout({Valid})] file partial struct Model;")]
    [InlineData($"file partial class Models {{ [GqaLayout({Valid})] public partial struct Model; }}")]
    public void GQA009_is_reported_for_an_unsupported_type_kind(string declaration)
        => AssertOnly("GQA009", declaration);

    [Fact]
    public void GQA009_is_reported_for_an_interface()
    {
        // An interface is also outside the attribute's targets, so the compiler adds CS0592.
        GeneratorRun run = GeneratorHarness.Run(Wrap($"[GqaLayout({Valid})] public partial interface IModel;"));

        run.AssertNoGeneratorException();
        AssertOnlyGqaId("GQA009", run);
        Assert.Empty(run.GeneratedSources);
        Assert.Equal("CS0592", Assert.Single(run.OutputProblems()).Id);
    }

    [Theory]
    [InlineData($"[GqaLayout({Valid})] public partial class Model {{ public void Decode() {{ }} }}")]
    [InlineData($"[GqaLayout({Valid})] public partial struct Model {{ public int Shape => 0; }}")]
    [InlineData($"[GqaLayout({Valid})] public partial record Model(int Heads);")]
    [InlineData($"[GqaLayout({Valid})] public partial struct Model {{ private class DecodeScalar {{ }} }}")]
    [InlineData($"[GqaLayout({Valid})] public partial struct Shape;")] // CS0542: a member cannot share its type's name
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)] public partial struct Model { static void DecodeAvx512() { } }")] // a path this layout's plan emits
    [InlineData($"[GqaLayout({Valid})] public partial class Model {{ public static object CreateCache() => new(); }}")]
    [InlineData($"[GqaLayout({Valid}, SlidingWindow = 8)] public partial class Model {{ public int SlidingWindow; }}")]
    [InlineData($"[GqaLayout({Valid})] public partial class Model {{ public int KvElementTypes => 0; }}")]
    public void GQA010_is_reported_when_the_type_already_declares_a_generated_member(string declaration)
        => AssertOnly("GQA010", declaration);

    [Theory]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)] public partial struct Model { static void ScoreTileAvx512_4x4() { } private class CopyRow { } }")] // helpers live in the implementation class
    [InlineData("[GqaLayout(Heads = 2, KvGroups = 1, HeadDim = 8)] public partial struct Model { static void DecodeAvx512() { } }")] // HeadDim 8 gets no AVX-512 path
    public void GQA010_is_not_reported_for_names_the_generator_does_not_add_to_the_type(string declaration)
    {
        GeneratorRun run = GeneratorHarness.Run(Wrap(declaration));

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorResult.Diagnostics);
        Assert.True(run.OutputProblems().IsEmpty, "The compilation reported:" + GeneratorRun.Describe(run.OutputProblems()));
    }

    [Theory]
    [InlineData("SlidingWindow = 0")] // 0 means "none" only when left out: written, it is a mistake
    [InlineData("SlidingWindow = -1")]
    [InlineData("SlidingWindow = int.MinValue")]
    [InlineData("SlidingWindow = -Sizes.Window")]
    public void GQA011_is_reported_for_a_sliding_window_that_is_not_positive(string option)
        => AssertOnly("GQA011", $"{SizesClass}\n[GqaLayout({Valid}, {option})] public partial struct Model;");

    [Theory]
    [InlineData("KvElementTypes = 3", "CS0266")] // a bare integer converts only with a cast
    [InlineData("KvElementTypes = 1.5", "CS0266")]
    [InlineData("KvElementTypes = KvElementType.Float16", "CS0266")] // the single-type enum, not the flags
    [InlineData("KvElementTypes = \"All\"", "CS0029")]
    [InlineData("KvElementTypes = null", "CS0037")]
    [InlineData("KvElementTypes = Sizes.Types", "CS0182")]
    [InlineData("KvElementTypes = UndefinedName", "CS0103")]
    public void GQA012_is_reported_for_KvElementTypes_that_is_not_a_constant_of_the_enum(string option, string compilerError)
    {
        GeneratorRun run = GeneratorHarness.Run(Wrap($"{SizesClass}\n[GqaLayout({Valid}, {option})] public partial struct Model;"));

        run.AssertNoGeneratorException();
        AssertOnlyGqaId("GQA012", run);
        Assert.Empty(run.GeneratedSources);
        Assert.Contains(run.OutputProblems(), d => d.Id == compilerError);
        Assert.All(run.OutputProblems(), d => Assert.True(d.Id == compilerError, $"Unexpected: {d}"));
    }

    [Theory]
    [InlineData("KvElementTypes = KvElementTypes.None", "KvElementTypes = None selects no storage type")]
    [InlineData("KvElementTypes = 0", "KvElementTypes = None selects no storage type")] // the literal 0 converts to any enum
    [InlineData("KvElementTypes = default", "KvElementTypes = None selects no storage type")]
    [InlineData("KvElementTypes = (KvElementTypes)16", "KvElementTypes = (KvElementTypes)16 has bits 0x10 that name no storage type")]
    [InlineData("KvElementTypes = ~KvElementTypes.Float32", "KvElementTypes = (KvElementTypes)-2 has bits 0xFFFFFFF0 that name no storage type")]
    [InlineData("KvElementTypes = KvElementTypes.Q8_0 | (KvElementTypes)64", "KvElementTypes = (KvElementTypes)72 has bits 0x40 that name no storage type")]
    public void GQA013_is_reported_for_KvElementTypes_that_selects_no_known_storage_type(string option, string message)
    {
        GeneratorRun run = AssertOnly("GQA013", $"[GqaLayout({Valid}, {option})] public partial struct Model;");

        Assert.Contains(message, Assert.Single(run.GqaDiagnostics).GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SlidingWindow = 1")]
    [InlineData("SlidingWindow = int.MaxValue")]
    [InlineData("SlidingWindow = Sizes.Window")]
    [InlineData("KvElementTypes = KvElementTypes.Q8_0")]
    [InlineData("KvElementTypes = (KvElementTypes)6")] // an explicit cast is the user's choice: Float16 | BFloat16
    [InlineData("KvElementTypes = KvElementTypes.All & ~KvElementTypes.Float32, SlidingWindow = 4096")]
    public void Valid_options_are_accepted_and_their_kernels_compile(string options)
    {
        GeneratorRun run = GeneratorHarness.Run(Wrap($"{SizesClass}\n[GqaLayout({Valid}, {options})] public partial struct Model;"));

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratorResult.Diagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputProblems().IsEmpty, "The compilation reported:" + GeneratorRun.Describe(run.OutputProblems()));
    }

    [Theory]
    [InlineData(32, 5, 4)]
    [InlineData(36, 7, 6)]
    [InlineData(100, 30, 25)]
    [InlineData(97, 50, 1)] // prime
    [InlineData(1024, 1000, 512)]
    [InlineData(1, 2, 1)]
    [InlineData(2147483646, int.MaxValue, 2147483646)]
    public void GQA001_suggests_the_largest_divisor_of_Heads_up_to_KvGroups(int heads, int kvGroups, int suggestion)
    {
        GeneratorRun run = GeneratorHarness.Run(Wrap($"[GqaLayout(Heads = {heads}, KvGroups = {kvGroups}, HeadDim = 64)] public partial struct Model;"));

        Diagnostic divisibility = Assert.Single(run.GqaDiagnostics, d => d.Id == "GQA001");
        Assert.EndsWith($"such as {suggestion}.", divisibility.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GQA001_finishes_quickly_for_values_near_int_MaxValue()
    {
        // int.MaxValue is prime: a divisor search counting down from KvGroups took ~2 billion steps (seconds per keystroke).
        GeneratorHarness.Run(Wrap($"[GqaLayout({Valid})] public partial struct Warm;")); // keep JIT time out of the measurement
        var watch = System.Diagnostics.Stopwatch.StartNew();
        GeneratorRun run = GeneratorHarness.Run(Wrap("[GqaLayout(Heads = int.MaxValue, KvGroups = int.MaxValue - 1, HeadDim = 64)] public partial struct Model;"));
        watch.Stop();

        Diagnostic divisibility = Assert.Single(run.GqaDiagnostics, d => d.Id == "GQA001");
        Assert.EndsWith("such as 1.", divisibility.GetMessage(), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"The generator took {watch.Elapsed} for one attribute.");
    }

    /// <summary>Runs the generator on one declaration and asserts it yields only <paramref name="id"/> and compiles otherwise cleanly.</summary>
    private static GeneratorRun AssertOnly(string id, string declaration) => AssertOnlyIn(id, Wrap(declaration));

    private static GeneratorRun AssertOnlyIn(string id, params string[] sources)
    {
        GeneratorRun run = GeneratorHarness.Run(sources);

        run.AssertNoGeneratorException();
        AssertOnlyGqaId(id, run);
        Assert.True(run.OutputProblems().IsEmpty, $"Besides {id}, the compilation reported:" + GeneratorRun.Describe(run.OutputProblems()));
        return run;
    }

    private static void AssertOnlyGqaId(string id, GeneratorRun run)
    {
        Assert.True(run.GqaDiagnostics.Length > 0, $"Expected {id}, but the generator reported nothing.");
        Assert.True(run.GeneratorResult.Diagnostics.All(d => d.Id == id),
            $"Expected only {id}; the generator reported:" + GeneratorRun.Describe(run.GeneratorResult.Diagnostics));
        Assert.All(run.GqaDiagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.All(run.GqaDiagnostics, d => DiagnosticAssert.IsOnLayoutAttribute(d, run.Output));
    }

    private static string Wrap(string declaration) => $"using GqaGen;\nnamespace Models;\n{declaration}\n";

    /// <summary>Constants (and values that are not constant) for option expressions to name.</summary>
    private const string SizesClass = "public static class Sizes { public const int Window = 4096; public static readonly KvElementTypes Types = KvElementTypes.All; }";
}
