using System.IO.Compression;
using System.Xml.Linq;

namespace GqaGen.Package.Tests;

/// <summary>
/// What each .nupkg holds: its assembly and docs, the generator (GqaGen only), a readme, the tool's private
/// assemblies (the tool only), and exactly the dependencies a user's project then restores.
/// </summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class PackageLayoutTests(PackedFeed feed)
{
    private const string ToolFolder = "tools/net10.0/any/";

    [Theory]
    [InlineData("GqaGen", "lib/net10.0/GqaGen.dll")]
    [InlineData("GqaGen", "lib/net10.0/GqaGen.xml")]
    [InlineData("GqaGen", "analyzers/dotnet/cs/GqaGen.Generator.dll")]
    [InlineData("GqaGen", "README.md")]
    [InlineData("GqaGen.Gguf", "lib/net10.0/GqaGen.Gguf.dll")]
    [InlineData("GqaGen.Gguf", "lib/net10.0/GqaGen.Gguf.xml")]
    [InlineData("GqaGen.Gguf", "README.md")]
    [InlineData("GqaGen.Llama", "lib/net10.0/GqaGen.Llama.dll")]
    [InlineData("GqaGen.Llama", "lib/net10.0/GqaGen.Llama.xml")]
    [InlineData("GqaGen.Llama", "README.md")]
    [InlineData("GqaGen.AI", "lib/net10.0/GqaGen.AI.dll")]
    [InlineData("GqaGen.AI", "lib/net10.0/GqaGen.AI.xml")]
    [InlineData("GqaGen.AI", "README.md")]
    [InlineData("GqaGen.Server", "lib/net10.0/GqaGen.Server.dll")]
    [InlineData("GqaGen.Server", "lib/net10.0/GqaGen.Server.xml")]
    [InlineData("GqaGen.Server", "README.md")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.Cli.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "DotnetToolSettings.xml")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.Gguf.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.Llama.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.Synthetic.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.AI.dll")]
    [InlineData("GqaGen.Cli", ToolFolder + "GqaGen.Server.dll")]
    [InlineData("GqaGen.Cli", "README.md")]
    public void Each_package_contains_its_files(string id, string path)
    {
        var entries = Entries(id);
        Assert.True(entries.Contains(path), $"{feed.PackageFile(id)} has no {path}; it has:{Environment.NewLine}{string.Join(Environment.NewLine, entries)}");
    }

    [Theory]
    [InlineData("GqaGen", new[] { "System.Numerics.Tensors" })]
    [InlineData("GqaGen.Gguf", new string[0])]
    [InlineData("GqaGen.Llama", new[] { "GqaGen", "GqaGen.Gguf", "Microsoft.ML.Tokenizers" })]
    [InlineData("GqaGen.AI", new[] { "GqaGen.Llama", "Microsoft.Extensions.AI", "Microsoft.Extensions.AI.Abstractions" })]
    [InlineData("GqaGen.Server", new[] { "GqaGen.AI" })]   // ASP.NET Core is a shared framework, not a package
    [InlineData("GqaGen.Cli", new string[0])]   // a tool carries its dependencies in tools/
    public void Each_package_depends_on_exactly_its_dependencies(string id, string[] expected)
    {
        var dependencies = Metadata(id).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, dependencies);
    }

    [Fact]
    public void GqaGen_Llama_depends_on_the_GqaGen_packages_of_the_same_version()
    {
        var versions = Metadata("GqaGen.Llama").Descendants().Where(e => e.Name.LocalName == "dependency")
            .Where(e => ((string)e.Attribute("id")!).StartsWith("GqaGen", StringComparison.Ordinal))
            .Select(e => (string)e.Attribute("version")!).ToList();
        Assert.Equal([feed.Version, feed.Version], versions);
    }

    [Theory]
    [InlineData("GqaGen")]
    [InlineData("GqaGen.Gguf")]
    [InlineData("GqaGen.Llama")]
    [InlineData("GqaGen.AI")]
    [InlineData("GqaGen.Server")]
    [InlineData("GqaGen.Cli")]
    public void Each_package_has_its_id_the_run_version_and_a_readme(string id)
    {
        XElement metadata = Metadata(id);
        Assert.Equal(id, Element(metadata, "id").Value);
        Assert.Equal(feed.Version, Element(metadata, "version").Value);
        Assert.Equal("README.md", Element(metadata, "readme").Value);
        Assert.False(string.IsNullOrWhiteSpace(Element(metadata, "description").Value));
    }

    [Theory]
    [InlineData("GqaGen.Gguf")]
    [InlineData("GqaGen.Llama")]
    [InlineData("GqaGen.Cli")]
    public void Only_GqaGen_carries_the_generator(string id) =>
        Assert.DoesNotContain(Entries(id), e => e.StartsWith("analyzers/", StringComparison.Ordinal) || e.Contains("GqaGen.Generator", StringComparison.Ordinal));

    [Theory]
    [InlineData("GqaGen")]
    [InlineData("GqaGen.Gguf")]
    [InlineData("GqaGen.Llama")]
    public void No_package_but_the_tool_carries_GqaGen_Synthetic(string id) =>
        Assert.DoesNotContain(Entries(id), e => e.Contains("GqaGen.Synthetic", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void The_feed_holds_the_six_packages_and_nothing_else()
    {
        var packages = Directory.GetFiles(feed.FeedDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(PackedFeed.PackageIds.Select(id => $"{id}.{feed.Version}.nupkg").Order(StringComparer.Ordinal), packages);
    }

    [Fact]
    public void The_tool_package_is_a_DotnetTool_whose_command_is_gqagen()
    {
        XElement packageType = Assert.Single(Metadata("GqaGen.Cli").Descendants(), e => e.Name.LocalName == "packageType");
        Assert.Equal("DotnetTool", (string?)packageType.Attribute("name"));

        using ZipArchive package = ZipFile.OpenRead(feed.PackageFile("GqaGen.Cli"));
        using Stream settings = package.GetEntry(ToolFolder + "DotnetToolSettings.xml")!.Open();
        XElement command = Assert.Single(XDocument.Load(settings).Descendants(), e => e.Name.LocalName == "Command");
        Assert.Equal("gqagen", (string?)command.Attribute("Name"));
        Assert.Equal("GqaGen.Cli.dll", (string?)command.Attribute("EntryPoint"));
    }

    private List<string> Entries(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(feed.PackageFile(id));
        return package.Entries.Select(e => e.FullName).ToList();
    }

    private XElement Metadata(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(feed.PackageFile(id));
        ZipArchiveEntry nuspec = Assert.Single(package.Entries, e => e.FullName == $"{id}.nuspec");
        using Stream stream = nuspec.Open();
        return Element(XDocument.Load(stream).Root!, "metadata");
    }

    private static XElement Element(XElement parent, string name) => parent.Elements().Single(e => e.Name.LocalName == name);
}
