namespace GqaGen.Package.Tests;

/// <summary>
/// Packs src/Runtime once for all package tests into a local feed under a temp folder outside the repo.
/// </summary>
/// <remarks>
/// The version is unique per run (0.1.0-test.&lt;time&gt;.&lt;random&gt;), so no NuGet cache can ever serve a copy
/// packed by an earlier run. The build goes to a private artifacts folder, so the repo's own bin/ and obj/ are
/// neither read nor overwritten (its projects may be building at the same time).
/// </remarks>
public sealed class PackedFeed : IDisposable
{
    public PackedFeed()
    {
        RepoRoot = FindRepoRoot();
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.r{Guid.NewGuid().ToString("N")[..8]}";
        WorkRoot = Path.Combine(Path.GetTempPath(), "gqagen-package-tests", Guid.NewGuid().ToString("N"));
        FeedDirectory = Path.Combine(WorkRoot, "feed");
        Directory.CreateDirectory(FeedDirectory);

        CliResult pack = DotnetCli.Run(RepoRoot, TimeSpan.FromMinutes(5),
        [
            "pack", Path.Combine(RepoRoot, "src", "Runtime", "GqaGen", "GqaGen.csproj"),
            "-c", "Release",
            "-o", FeedDirectory,
            "--artifacts-path", Path.Combine(WorkRoot, "artifacts"),
            $"-p:Version={Version}",
        ]);
        PackageFile = Path.Combine(FeedDirectory, $"GqaGen.{Version}.nupkg");
        if (pack.ExitCode != 0 || !File.Exists(PackageFile))
        {
            Dispose();   // xunit disposes only fixtures that were built
            throw new InvalidOperationException($"Packing GqaGen failed (expected {PackageFile}): {pack.Describe()}");
        }
    }

    /// <summary>The folder holding GqaGen.sln.</summary>
    public string RepoRoot { get; }

    /// <summary>The version the package was packed with.</summary>
    public string Version { get; }

    /// <summary>This run's temp folder; every test works under it, and it is deleted at the end.</summary>
    public string WorkRoot { get; }

    /// <summary>A local NuGet feed holding only the GqaGen package.</summary>
    public string FeedDirectory { get; }

    /// <summary>The .nupkg file in <see cref="FeedDirectory"/>.</summary>
    public string PackageFile { get; }

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
}

/// <summary>Package tests share one packed feed (packing takes a while) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "Package";
}
