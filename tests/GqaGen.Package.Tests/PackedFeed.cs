using System.Security;
using System.Text.RegularExpressions;

namespace GqaGen.Package.Tests;

/// <summary>
/// Packs every package (GqaGen, GqaGen.Gguf, GqaGen.Llama and the GqaGen.Cli tool) once for all package tests, with
/// the command the README gives, into a local feed under a temp folder outside the repo.
/// </summary>
/// <remarks>
/// The version is unique per run (0.1.0-test.&lt;time&gt;.&lt;random&gt;), so no NuGet cache can ever serve a copy
/// packed by an earlier run. The build goes to a private artifacts folder, so the repo's own bin/ and obj/ are
/// neither read nor overwritten (its projects may be building at the same time). Projects made from the templates
/// under Consumers/ restore into a private packages folder, so the test version never reaches the user's cache.
/// </remarks>
public sealed partial class PackedFeed : IDisposable
{
    /// <summary>The solution filter that lists the packable projects; the README's pack command packs it.</summary>
    public const string PackagesFilter = "GqaGen.Packages.slnf";

    /// <summary>Every package the repository ships, by id.</summary>
    public static readonly string[] PackageIds = ["GqaGen", "GqaGen.Gguf", "GqaGen.Llama", "GqaGen.AI", "GqaGen.Server", "GqaGen.Cli"];

    private string? _nuGetConfig;

    public PackedFeed()
    {
        RepoRoot = FindRepoRoot();
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.r{Guid.NewGuid().ToString("N")[..8]}";
        WorkRoot = Path.Combine(Path.GetTempPath(), "gqagen-package-tests", Guid.NewGuid().ToString("N"));
        FeedDirectory = Path.Combine(WorkRoot, "feed");
        Directory.CreateDirectory(FeedDirectory);
        // MSBuild looks upward from each consumer project for these files; empty ones here stop the search, so a
        // stray Directory.Build.props (or central package versions) in the temp folder cannot change the builds.
        foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(WorkRoot, file), "<Project />\n");

        // One pack for all the packages: they build once, in dependency order.
        CliResult pack = DotnetCli.Run(RepoRoot, TimeSpan.FromMinutes(8),
        [
            "pack", PackagesFilter,
            "-c", "Release",
            "-o", FeedDirectory,
            "--artifacts-path", Path.Combine(WorkRoot, "artifacts"),
            $"-p:Version={Version}",
        ]);
        var missing = PackageIds.Where(id => !File.Exists(PackageFile(id))).ToList();
        if (pack.ExitCode != 0 || missing.Count > 0)
        {
            Dispose();   // xunit disposes only fixtures that were built
            throw new InvalidOperationException($"Packing {PackagesFilter} failed (no {string.Join(", ", missing)} in {FeedDirectory}): {pack.Describe()}");
        }
    }

    /// <summary>The folder holding GqaGen.sln.</summary>
    public string RepoRoot { get; }

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; }

    /// <summary>This run's temp folder; every test works under it, and it is deleted at the end.</summary>
    public string WorkRoot { get; }

    /// <summary>A local NuGet feed holding the packages of this run.</summary>
    public string FeedDirectory { get; }

    /// <summary>Environment for commands that restore: a packages folder private to this run.</summary>
    public IReadOnlyDictionary<string, string> RestoreEnvironment =>
        new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(WorkRoot, "packages") };

    /// <summary>The .nupkg of package <paramref name="id"/> in <see cref="FeedDirectory"/>.</summary>
    public string PackageFile(string id) => Path.Combine(FeedDirectory, $"{id}.{Version}.nupkg");

    /// <summary>
    /// A new project folder under <see cref="WorkRoot"/> made from the template folder Consumers/<paramref name="template"/>:
    /// its files copied, <c>*.csproj.template</c> renamed to <c>*.csproj</c> with this run's version, and a nuget.config
    /// that restores from the feed (see <see cref="NuGetConfig"/>).
    /// </summary>
    public string CreateProject(string template)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Consumers", template);
        string project = Path.Combine(WorkRoot, "projects", template);
        Directory.CreateDirectory(project);
        foreach (string file in Directory.GetFiles(source))
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(".csproj.template", StringComparison.Ordinal))
                File.WriteAllText(Path.Combine(project, name[..^".template".Length]), File.ReadAllText(file).Replace("{GqaGenVersion}", Version));
            else
                File.Copy(file, Path.Combine(project, name));
        }
        WriteNuGetConfig(project);
        return project;
    }

    /// <summary>Writes <see cref="NuGetConfig"/> into <paramref name="folder"/>.</summary>
    public void WriteNuGetConfig(string folder) => File.WriteAllText(Path.Combine(folder, "nuget.config"), NuGetConfig());

    /// <summary>
    /// A nuget.config that clears every inherited source, then lists the local feed and the sources this machine has
    /// enabled (System.Numerics.Tensors and Microsoft.ML.Tokenizers restore from them). The machine's global packages
    /// folder is a fallback folder, so a package already there is not downloaded again.
    /// </summary>
    private string NuGetConfig()
    {
        if (_nuGetConfig is not null)
            return _nuGetConfig;

        // Asked in the temp folder, which has no nuget.config, so this is the machine's own configuration.
        CliResult sources = DotnetCli.Run(WorkRoot, TimeSpan.FromMinutes(1), ["nuget", "list", "source", "--format", "short"]);
        if (sources.ExitCode != 0)
            throw new InvalidOperationException(sources.Describe());
        var enabled = sources.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToList();
        if (enabled.Count == 0)
            throw new InvalidOperationException($"This machine has no enabled NuGet source to restore System.Numerics.Tensors from. {sources.Describe()}");

        CliResult locals = DotnetCli.Run(WorkRoot, TimeSpan.FromMinutes(1), ["nuget", "locals", "global-packages", "--list"]);
        Match globalPackagesLine = GlobalPackagesLine().Match(locals.Output);
        if (locals.ExitCode != 0 || !globalPackagesLine.Success)
            throw new InvalidOperationException(locals.Describe());
        string globalPackages = globalPackagesLine.Groups[1].Value.Trim();

        var lines = new List<string> { "<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<configuration>", "  <packageSources>", "    <clear />" };
        lines.Add($"    <add key=\"gqagen-local\" value=\"{SecurityElement.Escape(FeedDirectory)}\" />");
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
        return _nuGetConfig = string.Join(Environment.NewLine, lines);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkRoot, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is not worth failing the run over.
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GqaGen.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No GqaGen.sln found in {AppContext.BaseDirectory} or any folder above it.");
    }

    [GeneratedRegex(@"^global-packages:(.+)$", RegexOptions.Multiline)]
    private static partial Regex GlobalPackagesLine();
}

/// <summary>Package tests share one packed feed (packing takes a while) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "Package";
}
