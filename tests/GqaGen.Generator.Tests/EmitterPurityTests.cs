using System.Globalization;
using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;
using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The emitter is a pure function of <see cref="LayoutSpec"/>: equal specs give identical text and hint names,
/// on any machine, and hint names are safe file names that never collide.
/// </summary>
public sealed class EmitterPurityTests
{
    [Fact]
    public void Emit_returns_identical_text_for_equal_specs()
    {
        // Built separately, with strings that are equal but not the same instances.
        LayoutSpec first = new("Models", new[] { "partial class Family" }.ToEquatableArray(), "struct", "Llama", 32, 8, 64);
        LayoutSpec second = new(new string("Models".ToCharArray()), new[] { new string("partial class Family".ToCharArray()) }.ToEquatableArray(), "struct", new string("Llama".ToCharArray()), 32, 8, 64);
        Assert.Equal(first, second);

        string text = KernelEmitter.Emit(first);

        Assert.Equal(text, KernelEmitter.Emit(second));
        Assert.Equal(text, KernelEmitter.Emit(first));
        Assert.Equal(KernelEmitter.HintName(first), KernelEmitter.HintName(second));
    }

    [Fact]
    public void Emit_returns_different_text_for_different_specs()
    {
        // Guards the test above against an emitter that ignores its input.
        LayoutSpec spec = new("Models", EquatableArray<string>.Empty, "struct", "Llama", 32, 8, 64);

        Assert.NotEqual(KernelEmitter.Emit(spec), KernelEmitter.Emit(spec with { HeadDim = 128 }));
    }

    [Fact]
    public void Emit_does_not_depend_on_the_current_culture()
    {
        // The generator runs inside the compiler or IDE under the user's culture; generated text must not change with it.
        LayoutSpec spec = new("Models", EquatableArray<string>.Empty, "struct", "Llama3_8B", 32, 8, 128);
        var unusual = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        unusual.NumberFormat.NumberGroupSeparator = ".";
        unusual.NumberFormat.NumberDecimalSeparator = ",";
        unusual.NumberFormat.NegativeSign = "~";

        string invariant = EmitUnder(CultureInfo.InvariantCulture, spec);
        string other = EmitUnder(unusual, spec);

        string[] differing = invariant.Split('\n').Zip(other.Split('\n')).Where(pair => pair.First != pair.Second).Select(pair => pair.Second).ToArray();
        Assert.True(differing.Length == 0,
            "The emitted text depends on CultureInfo.CurrentCulture (emitter problem, src/Generator/Emit: format numbers with CultureInfo.InvariantCulture); lines that changed:"
            + Environment.NewLine + string.Join(Environment.NewLine, differing));
    }

    [Fact]
    public void HintName_is_deterministic_and_file_system_safe_for_Unicode_names()
    {
        LayoutSpec spec = new("Модели", EquatableArray<string>.Empty, "struct", "Λ", 4, 2, 16);

        string hintName = KernelEmitter.HintName(spec);

        Assert.Equal(hintName, KernelEmitter.HintName(spec with { }));
        Assert.EndsWith(".g.cs", hintName, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9._]+$", hintName);
        Assert.NotEqual(hintName, KernelEmitter.HintName(spec with { TypeName = "Μ" })); // Greek capital mu, a different type
    }

    [Fact]
    public void Unicode_named_layout_generates_and_compiles()
    {
        GeneratorRun run = GeneratorHarness.Run("using GqaGen;\nnamespace Модели;\n[GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)] public partial struct Λ;\n");

        run.AssertNoGeneratorException();
        GeneratedSourceResult generated = Assert.Single(run.GeneratedSources);
        Assert.Matches("^[A-Za-z0-9._]+$", generated.HintName);
        Assert.True(run.OutputProblems().IsEmpty, "The output does not compile cleanly:" + GeneratorRun.Describe(run.OutputProblems()));
    }

    [Fact]
    public void HintNames_of_distinct_types_are_distinct()
    {
        // "Λ" is escaped as "_u039B", which is also a valid identifier of its own: the escaping must not let them meet.
        LayoutSpec greek = new("Models", EquatableArray<string>.Empty, "struct", "AΛ", 4, 2, 16);
        LayoutSpec lookalike = greek with { TypeName = "A_u039B" };

        Assert.True(KernelEmitter.HintName(greek) != KernelEmitter.HintName(lookalike),
            $"Two different types get the hint name '{KernelEmitter.HintName(greek)}' (emitter problem, src/Generator/Emit/HintNames.cs: the escape is not injective); "
            + "a project declaring both fails with CS8785 and loses all generated kernels.");
    }

    [Fact]
    public void Layouts_whose_names_escape_alike_do_not_crash_the_generator()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using GqaGen;
            namespace Models;
            [GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)] public partial struct AΛ;
            [GqaLayout(Heads = 4, KvGroups = 2, HeadDim = 16)] public partial struct A_u039B;
            """);

        run.AssertNoGeneratorException();
        Assert.Equal(2, run.GeneratedSources.Length);
    }

    private static string EmitUnder(CultureInfo culture, LayoutSpec spec)
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = culture;
            return KernelEmitter.Emit(spec);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
