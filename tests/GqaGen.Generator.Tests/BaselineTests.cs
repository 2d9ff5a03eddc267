using System.Globalization;
using System.Runtime.CompilerServices;
using GqaGen.Generator.Emit;
using GqaGen.Generator.Model;

namespace GqaGen.Generator.Tests;

/// <summary>
/// The emitted text of two hand-built layouts, compared exactly with checked-in baselines, so that every change
/// to the generated code shows up in review as a diff of Baselines/*.g.cs.txt.
/// </summary>
/// <remarks>
/// To accept a deliberate change of the emitter, regenerate the baselines and review and commit their diff:
/// <code>GQAGEN_UPDATE_BASELINES=1 dotnet test tests/GqaGen.Generator.Tests -c Release --filter FullyQualifiedName~BaselineTests</code>
/// With the variable set, the test rewrites the files in the source tree (found through [CallerFilePath]) instead of comparing.
/// </remarks>
public sealed class BaselineTests
{
    private const string UpdateVariable = "GQAGEN_UPDATE_BASELINES";

    public static TheoryData<string> BaselineNames => ["Llama3_8B", "TinyShape_2_1_17", "Mistral7B_Window4096_F16_Q8"];

    [Theory]
    [MemberData(nameof(BaselineNames))]
    public void Emitted_source_matches_the_checked_in_baseline(string name)
    {
        string actual = Normalize(EmitInvariant(SpecFor(name)));
        string sourcePath = SourceBaselinePath(name);

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(sourcePath, actual);
            return;
        }

        // The source tree is preferred (it is what the update writes); the copy in the output folder serves builds whose paths were remapped.
        string path = File.Exists(sourcePath) ? sourcePath : Path.Combine(AppContext.BaseDirectory, "Baselines", name + ".g.cs.txt");
        Assert.True(File.Exists(path), $"No baseline at {path}; create it by running the tests with {UpdateVariable}=1.");
        string expected = Normalize(File.ReadAllText(path));
        if (expected != actual)
            Assert.Fail($"The emitted source for {name} differs from {path} at {FirstDifference(expected, actual)}. "
                        + $"If the change is intended, run the tests with {UpdateVariable}=1 and review the baseline diff.");
    }

    private static LayoutSpec SpecFor(string name) => name switch
    {
        // Llama 3 8B, as in src/Samples/Layouts.cs: the common case, both vector paths, no tails.
        "Llama3_8B" => new LayoutSpec("Models", EquatableArray<string>.Empty, "struct", "Llama3_8B", 32, 8, 128),
        // A tiny odd shape nested in a class: too short for AVX-512, an overlapping AVX2 tail, a scalar remainder, multi-query.
        "TinyShape_2_1_17" => new LayoutSpec("Models.Tiny", new[] { "partial class Shapes" }.ToEquatableArray(), "class", "TinyShape", 2, 1, 17),
        // Mistral 7B v0.1 (config.json: 32 heads, 8 K/V heads, head_dim 128, sliding_window 4096), with drivers for f16 and q8_0
        // caches only: the window check, ring caches, a CreateCache default other than Float32, and AppendKv without the fp32 copy.
        "Mistral7B_Window4096_F16_Q8" => new LayoutSpec("Models", EquatableArray<string>.Empty, "struct", "Mistral7B", 32, 8, 128,
            KvStorageTypes.Float16 | KvStorageTypes.Q8_0, SlidingWindow: 4096),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such baseline."),
    };

    /// <summary>
    /// Emits under the invariant culture, so the baselines do not depend on the machine's culture
    /// (EmitterPurityTests checks separately that the emitter itself does not depend on it).
    /// </summary>
    private static string EmitInvariant(LayoutSpec spec)
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            return KernelEmitter.Emit(spec);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string FirstDifference(string expected, string actual)
    {
        string[] expectedLines = expected.Split('\n');
        string[] actualLines = actual.Split('\n');
        for (int i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            string? e = i < expectedLines.Length ? expectedLines[i] : null;
            string? a = i < actualLines.Length ? actualLines[i] : null;
            if (e != a)
                return $"line {i + 1}:{Environment.NewLine}  expected: {e ?? "(end of file)"}{Environment.NewLine}  actual:   {a ?? "(end of file)"}{Environment.NewLine}";
        }
        return "(no line differs)";
    }

    private static string SourceBaselinePath(string name, [CallerFilePath] string thisFile = "")
        => Path.Combine(Path.GetDirectoryName(thisFile)!, "Baselines", name + ".g.cs.txt");
}
