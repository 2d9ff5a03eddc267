using System.Globalization;
using System.Security;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GqaGen.Package.Tests;

/// <summary>
/// A fresh console project outside the repo references only the GqaGen package, declares a layout, and its
/// generated kernel matches the naive reference: the package alone brings the runtime, the generator and the
/// dependency, and the generator runs in a user's build.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed partial class PackageConsumerTests(PackedFeed feed, ITestOutputHelper log)
{
    private const double Tolerance = 1e-5;
    private static readonly string[] Paths = ["Avx512", "Avx2", "Scalar"];

    [Fact]
    public void FreshConsoleProject_BuildsWithoutWarnings_AndMatchesReference()
    {
        string project = Path.Combine(feed.WorkRoot, "consumer");
        string template = Path.Combine(AppContext.BaseDirectory, "Consumer");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"),
            File.ReadAllText(Path.Combine(template, "Consumer.csproj.template")).Replace("{GqaGenVersion}", feed.Version));
        File.Copy(Path.Combine(template, "Program.cs"), Path.Combine(project, "Program.cs"));
        File.Copy(Path.Combine(template, "MyLayout.cs"), Path.Combine(project, "MyLayout.cs"));
        File.WriteAllText(Path.Combine(project, "nuget.config"), NuGetConfig(project));

        // A private packages folder: the test version is extracted there, not into the user's cache.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(feed.WorkRoot, "packages") };

        CliResult build = DotnetCli.Run(project, TimeSpan.FromMinutes(5), ["build", "-c", "Release"], environment);
        Assert.True(build.ExitCode == 0, build.Describe());
        var warnings = build.Output.Split('\n').Where(line => WarningLine().IsMatch(line)).ToList();
        Assert.True(warnings.Count == 0, $"The build warned:{Environment.NewLine}{string.Join('\n', warnings)}{Environment.NewLine}{build.Describe()}");

        CliResult run = DotnetCli.Run(project, TimeSpan.FromMinutes(2), ["run", "--no-build", "-c", "Release"], environment);
        Assert.True(run.ExitCode == 0, run.Describe());
        log.WriteLine($"GqaGen {feed.Version}: {run.Output.Trim()}");

        Match error = ErrorLine().Match(run.Output);
        Match path = PathLine().Match(run.Output);
        Assert.True(error.Success && path.Success, $"Expected max-rel-error= and path= lines. {run.Describe()}");
        double maxRelError = double.Parse(error.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.True(maxRelError <= Tolerance, $"Generated kernel differs from GqaReference by {maxRelError} (normwise, worst head), over {Tolerance}. {run.Describe()}");
        Assert.True(Paths.Contains(path.Groups[1].Value), $"Unknown path '{path.Groups[1].Value}', expected one of {string.Join(", ", Paths)}. {run.Describe()}");
    }

    /// <summary>
    /// A nuget.config that clears every inherited source, then lists the local feed and the sources this machine has
    /// enabled (System.Numerics.Tensors restores from them). The machine's global packages folder is a fallback
    /// folder, so a package already there is not downloaded again.
    /// </summary>
    private string NuGetConfig(string project)
    {
        // Asked in the project folder before its nuget.config exists, so this is the machine's own configuration.
        CliResult sources = DotnetCli.Run(project, TimeSpan.FromMinutes(1), ["nuget", "list", "source", "--format", "short"]);
        Assert.True(sources.ExitCode == 0, sources.Describe());
        var enabled = sources.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToList();
        Assert.True(enabled.Count > 0, $"This machine has no enabled NuGet source to restore System.Numerics.Tensors from. {sources.Describe()}");

        CliResult locals = DotnetCli.Run(project, TimeSpan.FromMinutes(1), ["nuget", "locals", "global-packages", "--list"]);
        Assert.True(locals.ExitCode == 0, locals.Describe());
        Match globalPackagesLine = GlobalPackagesLine().Match(locals.Output);
        Assert.True(globalPackagesLine.Success, locals.Describe());
        string globalPackages = globalPackagesLine.Groups[1].Value.Trim();

        var lines = new List<string> { "<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<configuration>", "  <packageSources>", "    <clear />" };
        lines.Add($"    <add key=\"gqagen-local\" value=\"{SecurityElement.Escape(feed.FeedDirectory)}\" />");
        for (int i = 0; i < enabled.Count; i++)
            lines.Add($"    <add key=\"machine-{i}\" value=\"{SecurityElement.Escape(enabled[i])}\" />");
        lines.Add("  </packageSources>");
        if (Directory.Exists(globalPackages))
        {
            lines.Add("  <fallbackPackageFolders>");
            lines.Add($"    <add key=\"machine-global-packages\" value=\"{SecurityElement.Escape(globalPackages)}\" />");
            lines.Add("  </fallbackPackageFolders>");
        }
        lines.Add("</configuration>");
        return string.Join(Environment.NewLine, lines);
    }

    [GeneratedRegex(@"\bwarning [A-Z]+[0-9]+")]
    private static partial Regex WarningLine();

    [GeneratedRegex(@"^global-packages:(.+)$", RegexOptions.Multiline)]
    private static partial Regex GlobalPackagesLine();

    [GeneratedRegex(@"^max-rel-error=(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"^path=(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PathLine();
}
