using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The generator runs on every keystroke; edits that leave a layout alone must not re-emit its kernels. The
/// parse step's output (<see cref="Model.ParseResult"/>) is compared by value, so it must come out Cached or
/// Unchanged, and the source output step must then do nothing.
/// </summary>
public sealed class IncrementalCachingTests
{
    private const string LayoutSource = """
        using GqaGen;
        namespace Models;

        [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]
        public partial struct Llama;

        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    private const string OtherSource = """
        namespace Models;

        public static class Program
        {
            public static int Run() => 1;
        }
        """;

    private static readonly GeneratorDriverOptions Tracking = new(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true);

    [Fact]
    public void Adding_an_unrelated_file_reuses_the_parse_and_emits_nothing_new()
    {
        (GeneratorRun _, GeneratorRun second) = RunTwice(compilation => compilation.AddSyntaxTrees(
            TestCompilations.Parse("namespace Models; public sealed class Unrelated { }", "Unrelated.cs")));

        AssertNothingReEmitted(second);
    }

    [Fact]
    public void Editing_a_method_body_in_another_file_reuses_the_parse_and_emits_nothing_new()
    {
        (GeneratorRun _, GeneratorRun second) = RunTwice(compilation => Edit(compilation, "Input1.cs", "=> 1;", "=> 2 + 40;"));

        AssertNothingReEmitted(second);
    }

    [Fact]
    public void Editing_a_method_body_in_the_layouts_file_reuses_the_parse_and_emits_nothing_new()
    {
        // The layout's own tree changed, so the parse runs again; its result must still compare equal.
        (GeneratorRun _, GeneratorRun second) = RunTwice(compilation => Edit(compilation, "Input0.cs", "x * 2", "x + x"));

        AssertNothingReEmitted(second);
    }

    [Fact]
    public void Changing_HeadDim_re_emits_the_layout()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(compilation => Edit(compilation, "Input0.cs", "HeadDim = 64", "HeadDim = 128"));

        Assert.Contains(StepReasons(second, GqaLayoutGenerator.ParseStep), reason => reason == IncrementalStepRunReason.Modified);
        Assert.Contains(StepReasons(second, WellKnownGeneratorOutputs.SourceOutput), reason => reason == IncrementalStepRunReason.Modified);
        Assert.Contains("HeadDim = 64", first.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
        Assert.Contains("HeadDim = 128", second.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SlidingWindow = 4096", "public const int SlidingWindow = 4096;")]
    [InlineData("KvElementTypes = KvElementTypes.Q8_0", "KvElementTypes = global::GqaGen.KvElementTypes.Q8_0;")]
    public void Setting_an_option_re_emits_the_layout(string option, string expected)
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(compilation => Edit(compilation, "Input0.cs", "HeadDim = 64", "HeadDim = 64, " + option));

        Assert.Contains(StepReasons(second, GqaLayoutGenerator.ParseStep), reason => reason == IncrementalStepRunReason.Modified);
        Assert.Contains(StepReasons(second, WellKnownGeneratorOutputs.SourceOutput), reason => reason == IncrementalStepRunReason.Modified);
        Assert.DoesNotContain(expected, first.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
        Assert.Contains(expected, second.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rewriting_an_option_as_an_equal_value_emits_nothing_new()
    {
        // The model holds the option's value, not its text: the flags in another order, or as a cast, are the same layout.
        (GeneratorRun _, GeneratorRun second) = RunTwice(
            compilation => Edit(compilation, "Input0.cs", "HeadDim = 64", "HeadDim = 64, KvElementTypes = KvElementTypes.Float16 | KvElementTypes.Q8_0, SlidingWindow = 512"),
            compilation => Edit(compilation, "Input0.cs", "KvElementTypes = KvElementTypes.Float16 | KvElementTypes.Q8_0, SlidingWindow = 512", "SlidingWindow = 2 * 256, KvElementTypes = (KvElementTypes)10"));

        AssertNothingReEmitted(second);
    }

    [Fact]
    public void Allowing_unsafe_code_re_emits_the_layout_with_SkipLocalsInit()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(compilation =>
            compilation.WithOptions(((CSharpCompilationOptions)compilation.Options).WithAllowUnsafe(true)));

        // The parse itself does not read the options; only the step that adds the compilation's facts changes.
        Assert.All(StepReasons(second, GqaLayoutGenerator.ParseStep), reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"The parse step output was {reason}."));
        Assert.Contains(StepReasons(second, GqaLayoutGenerator.CompilationFactsStep), reason => reason == IncrementalStepRunReason.Modified);
        Assert.Contains(StepReasons(second, WellKnownGeneratorOutputs.SourceOutput), reason => reason == IncrementalStepRunReason.Modified);
        Assert.DoesNotContain("[SkipLocalsInit]", first.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
        Assert.Contains("[SkipLocalsInit]", second.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs one driver on the sources (first edited by <paramref name="setUp"/>, when given), then again (keeping its cache) on the edited compilation.</summary>
    private static (GeneratorRun First, GeneratorRun Second) RunTwice(Func<Compilation, Compilation> edit) => RunTwice(compilation => compilation, edit);

    private static (GeneratorRun First, GeneratorRun Second) RunTwice(Func<Compilation, Compilation> setUp, Func<Compilation, Compilation> edit)
    {
        Compilation compilation = setUp(TestCompilations.Create(LayoutSource, OtherSource));
        GeneratorRun first = GeneratorHarness.Run(compilation, Tracking);
        Assert.Single(first.GeneratedSources);
        GeneratorRun second = GeneratorHarness.RunAgain(first.Driver, edit(compilation));
        Assert.Single(second.GeneratedSources);
        return (first, second);
    }

    private static void AssertNothingReEmitted(GeneratorRun run)
    {
        IncrementalStepRunReason[] parse = StepReasons(run, GqaLayoutGenerator.ParseStep);
        IncrementalStepRunReason[] facts = StepReasons(run, GqaLayoutGenerator.CompilationFactsStep);
        IncrementalStepRunReason[] emit = StepReasons(run, WellKnownGeneratorOutputs.SourceOutput);
        Assert.All(parse, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"The parse step output was {reason}."));
        Assert.All(facts, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"The compilation-facts step output was {reason}."));
        Assert.All(emit, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"The source output step was {reason}: the kernels were emitted again."));
    }

    /// <summary>The reasons of every output of a tracked step (or source output step); fails if the step did not run at all, so the checks above cannot pass vacuously.</summary>
    private static IncrementalStepRunReason[] StepReasons(GeneratorRun run, string stepName)
    {
        GeneratorRunResult result = run.GeneratorResult;
        bool found = result.TrackedSteps.TryGetValue(stepName, out var steps) || result.TrackedOutputSteps.TryGetValue(stepName, out steps);
        Assert.True(found, $"No step named '{stepName}' was tracked; tracked: {string.Join(", ", result.TrackedSteps.Keys.Concat(result.TrackedOutputSteps.Keys))}.");
        IncrementalStepRunReason[] reasons = steps.SelectMany(step => step.Outputs).Select(output => output.Reason).ToArray();
        Assert.NotEmpty(reasons);
        return reasons;
    }

    private static Compilation Edit(Compilation compilation, string path, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        string text = tree.GetText().ToString();
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        return compilation.ReplaceSyntaxTree(tree, TestCompilations.Parse(text.Replace(oldText, newText, StringComparison.Ordinal), path));
    }
}
