using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GqaGen.Package.Tests;

/// <summary>
/// Fresh console projects outside the repo, made from the templates under Consumers/, restore the packages from the
/// feed the way a user's project does: one references only GqaGen (its generated kernel must match the naive
/// reference, and the decoder's packages must not come along), one references GqaGen.Llama (it writes a tiny model
/// with the public GGUF writer and generates from it).
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed partial class PackageConsumerTests(PackedFeed feed, ITestOutputHelper log)
{
    private const double Tolerance = 1e-5;
    private static readonly string[] Paths = ["Avx512", "Avx2", "Scalar"];

    [Fact]
    public void An_app_referencing_only_GqaGen_builds_without_warnings_and_matches_GqaReference()
    {
        string project = feed.CreateProject("Kernels");
        CliResult run = BuildAndRun(project);
        log.WriteLine($"GqaGen {feed.Version}: {run.Output.Trim()}");

        Match error = ErrorLine().Match(run.Output);
        Match path = PathLine().Match(run.Output);
        Assert.True(error.Success && path.Success, $"Expected max-rel-error= and path= lines. {run.Describe()}");
        double maxRelError = double.Parse(error.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.True(maxRelError <= Tolerance, $"Generated kernel differs from GqaReference by {maxRelError} (normwise, worst head), over {Tolerance}. {run.Describe()}");
        Assert.True(Paths.Contains(path.Groups[1].Value), $"Unknown path '{path.Groups[1].Value}', expected one of {string.Join(", ", Paths)}. {run.Describe()}");

        // The kernels package alone: the decoder, the GGUF reader and the tokenizer dependency stay out of the graph.
        var libraries = RestoredLibraries(project);
        Assert.Contains($"GqaGen/{feed.Version}", libraries);
        Assert.Contains(libraries, l => l.StartsWith("System.Numerics.Tensors/", StringComparison.Ordinal));
        foreach (string unwanted in (string[])["GqaGen.Llama/", "GqaGen.Gguf/", "Microsoft.ML.Tokenizers"])
            Assert.DoesNotContain(libraries, l => l.StartsWith(unwanted, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void An_app_referencing_GqaGen_Llama_generates_the_same_tokens_twice_from_a_model_it_wrote()
    {
        string project = feed.CreateProject("Llama");
        CliResult run = BuildAndRun(project);
        log.WriteLine($"GqaGen.Llama {feed.Version}: {run.Output.Trim()}");

        Assert.Contains("ok", run.Output.Split('\n').Select(l => l.Trim()));
        var libraries = RestoredLibraries(project);
        foreach (string expected in (string[])[$"GqaGen/{feed.Version}", $"GqaGen.Gguf/{feed.Version}", $"GqaGen.Llama/{feed.Version}"])
            Assert.Contains(expected, libraries);
        Assert.Contains(libraries, l => l.StartsWith("Microsoft.ML.Tokenizers/", StringComparison.Ordinal));
    }

    /// <summary>Builds the project (no warnings allowed) and runs it; both must exit with code 0.</summary>
    private CliResult BuildAndRun(string project)
    {
        CliResult build = DotnetCli.Run(project, TimeSpan.FromMinutes(5), ["build", "-c", "Release"], feed.RestoreEnvironment);
        Assert.True(build.ExitCode == 0, build.Describe());
        var warnings = build.Output.Split('\n').Where(line => WarningLine().IsMatch(line)).ToList();
        Assert.True(warnings.Count == 0, $"The build warned:{Environment.NewLine}{string.Join('\n', warnings)}{Environment.NewLine}{build.Describe()}");

        CliResult run = DotnetCli.Run(project, TimeSpan.FromMinutes(2), ["run", "--no-build", "-c", "Release"], feed.RestoreEnvironment);
        Assert.True(run.ExitCode == 0, run.Describe());
        return run;
    }

    /// <summary>The "id/version" of every package in the project's restored dependency graph (obj/project.assets.json).</summary>
    private static List<string> RestoredLibraries(string project)
    {
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, "obj", "project.assets.json")));
        return assets.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
    }

    [GeneratedRegex(@"\bwarning [A-Z]+[0-9]+")]
    private static partial Regex WarningLine();

    [GeneratedRegex(@"^max-rel-error=(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"^path=(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PathLine();
}
