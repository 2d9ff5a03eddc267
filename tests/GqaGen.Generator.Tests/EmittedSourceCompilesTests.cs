using GqaGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The kernels of every sample model's layout, and of odd shapes (HeadDim not a multiple of 8 or 16, a single
/// head, the largest HeadDim), must compile in a strict consumer: nullable on, every warning wave on, no
/// AllowUnsafeBlocks, and not one warning, since consumers often build with warnings as errors.
/// </summary>
public sealed class EmittedSourceCompilesTests
{
    /// <summary>The layouts of src/Samples/Layouts.cs: Llama 3 8B, Llama 3.2 1B, TinyLlama, Qwen2.5 0.5B, SmolLM2, GPT-2, Falcon 7B.</summary>
    public static TheoryData<int, int, int> SampleLayouts => new()
    {
        { 32, 8, 128 }, { 32, 8, 64 }, { 32, 4, 64 }, { 14, 2, 64 }, { 9, 3, 64 }, { 12, 12, 64 }, { 71, 1, 64 },
    };

    /// <summary>Overlapping tail vectors (80, 96, 40, 17), too short for any vector (1), the maximum (512), one head.</summary>
    public static TheoryData<int, int, int> OddLayouts => new()
    {
        { 4, 2, 80 }, { 6, 3, 96 }, { 8, 8, 40 }, { 2, 1, 17 }, { 1, 1, 1 }, { 1, 1, 512 },
    };

    [Theory]
    [MemberData(nameof(SampleLayouts))]
    [MemberData(nameof(OddLayouts))]
    public void Kernels_compile_without_warnings(int heads, int kvGroups, int headDim)
        => AssertCompilesCleanly(heads, kvGroups, headDim, TestCompilations.ParseOptions);

    /// <summary>A consumer with GenerateDocumentationFile gets doc-comment checks (malformed XML, bad paramref) on generated code too.</summary>
    [Theory]
    [MemberData(nameof(SampleLayouts))]
    [MemberData(nameof(OddLayouts))]
    public void Kernels_compile_without_warnings_when_documentation_is_generated(int heads, int kvGroups, int headDim)
        => AssertCompilesCleanly(heads, kvGroups, headDim, TestCompilations.DocumentedParseOptions);

    /// <summary>The options: a window (checks, ring caches), restricted storage types (other types forward to the generic
    /// kernel; no f32 copy in AppendKv when f32 is left out; a CreateCache default other than Float32), on odd shapes too.</summary>
    public static TheoryData<int, int, int, string> LayoutsWithOptions => new()
    {
        { 32, 8, 128, "SlidingWindow = 4096, KvElementTypes = KvElementTypes.Float16 | KvElementTypes.Q8_0" },
        { 2, 1, 17, "KvElementTypes = KvElementTypes.Q8_0" },
        { 1, 1, 1, "SlidingWindow = 1" },
        { 4, 2, 80, "KvElementTypes = KvElementTypes.BFloat16, SlidingWindow = 100" },
        { 1, 1, 512, "KvElementTypes = KvElementTypes.Float32" },
        { 3, 1, 8, "KvElementTypes = (KvElementTypes)13, SlidingWindow = int.MaxValue" },
    };

    [Theory]
    [MemberData(nameof(LayoutsWithOptions))]
    public void Kernels_with_options_compile_without_warnings(int heads, int kvGroups, int headDim, string options)
    {
        AssertCompilesCleanly(heads, kvGroups, headDim, TestCompilations.ParseOptions, options);
        AssertCompilesCleanly(heads, kvGroups, headDim, TestCompilations.DocumentedParseOptions, options);
    }

    [Fact]
    public void Strict_options_are_in_effect()
    {
        // The tests above mean little if the options drifted.
        Assert.False(TestCompilations.Options.AllowUnsafe);
        Assert.Equal(NullableContextOptions.Enable, TestCompilations.Options.NullableContextOptions);
        Assert.Equal(9999, TestCompilations.Options.WarningLevel);
        Assert.Equal(ReportDiagnostic.Default, TestCompilations.Options.GeneralDiagnosticOption);
    }

    /// <summary>[SkipLocalsInit] is error CS0227 without AllowUnsafeBlocks, so the generator adds it only where the compilation allows unsafe code.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kernels_carry_SkipLocalsInit_exactly_when_the_compilation_allows_unsafe_code(bool allowUnsafe)
    {
        Compilation input = TestCompilations.Create("using GqaGen;\nnamespace Models;\n[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)] public partial struct Layout;\n")
            .WithOptions(TestCompilations.Options.WithAllowUnsafe(allowUnsafe));

        GeneratorRun run = GeneratorHarness.Run(input);

        run.AssertNoGeneratorException();
        string generated = Assert.Single(run.GeneratedSources).SourceText.ToString();
        Assert.Equal(allowUnsafe, generated.Contains("[SkipLocalsInit]", StringComparison.Ordinal));
        Assert.True(run.OutputProblems().IsEmpty, "The kernels do not compile cleanly:" + GeneratorRun.Describe(run.OutputProblems().Take(20)));
    }

    /// <summary>
    /// User types whose names the kernels also use, in namespaces the kernels' lookup passes through (GqaGen, and
    /// namespaces below it that shadow System or GqaGen.Kernels), must not capture a name in the generated code.
    /// </summary>
    [Theory]
    [InlineData("namespace GqaGen.System.Collections { public sealed class Bag { } }")]
    [InlineData("namespace GqaGen.GqaGen { public sealed class Thing { } }")]
    [InlineData("namespace GqaGen.Kernels { public static class Math { } public sealed class Unsafe { } public sealed class MemoryMarshal { } }")]
    [InlineData("namespace GqaGen { public sealed class Span { } public sealed class Vector512 { } public static class GC { } public sealed class MethodImpl { } }")]
    [InlineData("namespace Models { public sealed class GqaSimd { } public sealed class KvCache { } public static class System { } }")]
    public void Kernels_compile_beside_user_types_named_like_what_they_use(string userTypes)
    {
        Compilation input = TestCompilations.Create(
            "using GqaGen;\nnamespace Models;\n[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 72)] public partial struct Layout;\n", userTypes);

        GeneratorRun run = GeneratorHarness.Run(input);

        run.AssertNoGeneratorException();
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputProblems().IsEmpty, "The kernels do not compile beside those types:" + GeneratorRun.Describe(run.OutputProblems().Take(20)));
    }

    private static void AssertCompilesCleanly(int heads, int kvGroups, int headDim, CSharpParseOptions parseOptions, string options = "")
    {
        string arguments = $"Heads = {heads}, KvGroups = {kvGroups}, HeadDim = {headDim}" + (options.Length > 0 ? ", " + options : "");
        string source = $$"""
            using GqaGen;
            namespace Models;

            /// <summary>The layout under test.</summary>
            [GqaLayout({{arguments}})]
            public partial struct Layout;

            /// <summary>Uses the generated type as an <see cref="IGqaKernel"/>: this binds only if every static abstract member is implemented.</summary>
            public static class Usage
            {
                /// <summary>The kernel's shape.</summary>
                public static GqaShape ShapeOf<TKernel>() where TKernel : IGqaKernel => TKernel.Shape;

                /// <summary>The layout's shape, through the interface.</summary>
                public static GqaShape LayoutShape => ShapeOf<Layout>();

                /// <summary>The options, through the interface.</summary>
                public static (int Window, KvElementTypes Types) Options<TKernel>() where TKernel : IGqaKernel => (TKernel.SlidingWindow, TKernel.KvElementTypes);

                /// <summary>A cache made for the layout, with its default storage type and window.</summary>
                public static KvCache Cache() => Layout.CreateCache(layers: 1, capacity: 16);

                /// <summary>The options as constants.</summary>
                public const int Window = Layout.SlidingWindow;
            }
            """;
        Compilation input = TestCompilations.Empty.AddSyntaxTrees(TestCompilations.Parse(source, "Layout.cs", parseOptions));

        GeneratorRun run = GeneratorHarness.Run(input, parseOptions: parseOptions);

        run.AssertNoGeneratorException();
        Assert.True(run.GeneratorResult.Diagnostics.IsEmpty, "The generator reported:" + GeneratorRun.Describe(run.GeneratorResult.Diagnostics));
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputProblems().IsEmpty,
            $"The kernels for {arguments} do not compile cleanly (emitter problem, src/Generator/Emit):"
            + GeneratorRun.Describe(run.OutputProblems().Take(20)));
    }
}
