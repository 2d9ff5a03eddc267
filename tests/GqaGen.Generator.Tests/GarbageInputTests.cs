using GqaGen.Generator.Tests.Infrastructure;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The generator runs on every keystroke, so it sees half-typed and nonsensical code; whatever it gets, it must
/// not throw (a throw shows up as CS8785 and drops every layout in the project, not just the broken one).
/// </summary>
public sealed class GarbageInputTests
{
    [Theory]
    [InlineData("[GqaLayout(Heads = , KvGroups = 8 HeadDim = 64] partial struct Model {")]
    [InlineData("[GqaLayout(Heads = 32")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct ;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model : Model;")]
    [InlineData("[GqaLayout(Heads = \"32\", KvGroups = 8.0, HeadDim = null)] partial struct Model;")]
    [InlineData("[GqaLayout(Heads = typeof(int), KvGroups = new[] { 1 }, HeadDim = default)] partial struct Model;")]
    [InlineData("[GqaLayout(Heads = 32, Heads = 16, KvGroups = 8, HeadDim = 64, Bogus = 1)] partial struct Model;")]
    [InlineData("[GqaLayout(Heads = 1 / 0, KvGroups = checked(int.MaxValue + 1), HeadDim = 64)] partial struct Model;")]
    [InlineData("[GqaLayout(32, 8, 128)] partial struct Model;")]
    [InlineData("[GqaLayout(Heads: 32)] partial struct Model;")]
    [InlineData("[GqaLayout] partial struct Model;")]
    [InlineData("[GqaLayout()] partial class Model;")]
    [InlineData("[GqaLayout(,,,)] partial class Model;")]
    [InlineData("partial class Model { [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] void Decode() { } }")]
    [InlineData("partial class Model { [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] int field; }")]
    [InlineData("partial class Model { void M() { [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] void Local() { } } }")]
    [InlineData("partial class Model<[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] T>;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] enum Model { A }")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] delegate void Model();")]
    [InlineData("[assembly: GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model; partial class Model;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model; [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial record struct Model(int A, int B) { public void Shape() { } }")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct @class;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Мо\u0434ель\u200B;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model { #if X } #endif")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial partial partial struct Model;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] public private partial struct Model;")]
    [InlineData("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model { partial struct Model; }")]
    [InlineData("\0\uFFFF[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)]\uD800 partial struct Model;")]
    [InlineData("namespace { [GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model; }")]
    public void Malformed_source_does_not_crash_the_generator(string declaration)
    {
        GeneratorRun run = GeneratorHarness.Run($"using GqaGen;\n{declaration}\n");

        run.AssertNoGeneratorException();
    }

    [Fact]
    public void Attribute_without_the_runtime_reference_does_not_crash_the_generator()
    {
        // Without GqaGen.dll the attribute does not bind at all; the generator must simply find nothing.
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("NoRuntime",
            [TestCompilations.Parse("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 64)] partial struct Model;")],
            TestCompilations.References.Where(r => !r.Display!.EndsWith("GqaGen.dll", StringComparison.OrdinalIgnoreCase)),
            TestCompilations.Options);

        GeneratorRun run = GeneratorHarness.Run(compilation);

        run.AssertNoGeneratorException();
        Assert.Empty(run.GeneratedSources);
    }
}
