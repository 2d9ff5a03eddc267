using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace GqaGen.Package.Tests;

/// <summary>
/// The README's commands pack the packages and install the gqagen tool, and the installed tool runs as
/// <c>gqagen</c>: the test installs it with the README's own install line, into a tool path instead of globally.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed partial class ToolPackageTests(PackedFeed feed, ITestOutputHelper log)
{
    [Fact]
    public void The_README_packs_and_installs_with_the_commands_these_tests_run()
    {
        string repoVersion = XDocument.Load(Path.Combine(feed.RepoRoot, "Directory.Build.props")).Descendants("Version").Single().Value;
        Assert.Equal($"dotnet pack {PackedFeed.PackagesFilter} -c Release -o feed", ReadmeLine("dotnet pack "));
        Assert.Equal($"dotnet tool install -g GqaGen.Cli --add-source feed --version {repoVersion}", ReadmeLine("dotnet tool install "));
    }

    [Fact]
    public void The_tool_installs_with_the_README_command_and_runs_as_gqagen()
    {
        string toolPath = Path.Combine(feed.WorkRoot, "tools");
        string folder = Path.Combine(feed.WorkRoot, "tool-install");
        Directory.CreateDirectory(folder);
        feed.WriteNuGetConfig(folder);

        // The README's line with a tool path for -g, this run's feed folder and this run's version.
        var arguments = ReadmeLine("dotnet tool install ").Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        arguments[arguments.IndexOf("-g")] = "--tool-path";
        arguments.Insert(arguments.IndexOf("--tool-path") + 1, toolPath);
        arguments[arguments.IndexOf("--add-source") + 1] = feed.FeedDirectory;
        arguments[arguments.IndexOf("--version") + 1] = feed.Version;
        CliResult install = DotnetCli.Run(folder, TimeSpan.FromMinutes(3), arguments, feed.RestoreEnvironment);
        Assert.True(install.ExitCode == 0, install.Describe());

        string gqagen = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "gqagen.exe" : "gqagen");
        Assert.True(File.Exists(gqagen), $"No {gqagen} after the install. {install.Describe()}");

        CliResult help = DotnetCli.RunProgram(gqagen, folder, TimeSpan.FromMinutes(1), ["--help"]);
        log.WriteLine(help.Output);
        Assert.True(help.ExitCode == 0, help.Describe());
        Assert.StartsWith("gqagen", help.Output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("gqagen [command] [options]", help.Output);
        Assert.DoesNotContain("GqaGen.Cli", help.Output);

        // A real command: Llama 3 8B's KV cache at 32K tokens in bf16 is 4 GiB with 8 K/V heads.
        CliResult estimate = DotnetCli.RunProgram(gqagen, folder, TimeSpan.FromMinutes(1),
            ["estimate", "--hidden", "4096", "--heads", "32", "--layers", "32", "--context", "32768", "--kv-groups", "8", "--dtype", "bf16"]);
        log.WriteLine(estimate.Output);
        Assert.True(estimate.ExitCode == 0, estimate.Describe());
        Assert.Contains("4,294,967,296", estimate.Output);
    }

    /// <summary>The one line of the root README.md that starts with <paramref name="prefix"/>.</summary>
    private string ReadmeLine(string prefix)
    {
        var lines = File.ReadAllLines(Path.Combine(feed.RepoRoot, "README.md"))
            .Select(l => l.Trim()).Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(lines.Count == 1, $"README.md should have one command line starting with `{prefix}`; it has {lines.Count}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        return MultipleSpaces().Replace(lines[0], " ");
    }

    [GeneratedRegex(" {2,}")]
    private static partial Regex MultipleSpaces();
}
