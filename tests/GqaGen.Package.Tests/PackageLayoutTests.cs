using System.IO.Compression;
using System.Xml.Linq;

namespace GqaGen.Package.Tests;

/// <summary>The .nupkg holds the runtime, its docs, the generator as an analyzer, the readme and the one dependency.</summary>
[Collection(PackageCollection.Name)]
[Trait("Category", "Package")]
public sealed class PackageLayoutTests(PackedFeed feed)
{
    [Theory]
    [InlineData("lib/net10.0/GqaGen.dll")]
    [InlineData("lib/net10.0/GqaGen.xml")]
    [InlineData("analyzers/dotnet/cs/GqaGen.Generator.dll")]
    [InlineData("README.md")]
    public void Package_ContainsFile(string path)
    {
        using ZipArchive package = ZipFile.OpenRead(feed.PackageFile);
        var entries = package.Entries.Select(e => e.FullName).ToList();
        Assert.True(entries.Contains(path), $"{feed.PackageFile} has no {path}; it has:{Environment.NewLine}{string.Join(Environment.NewLine, entries)}");
    }

    [Fact]
    public void Nuspec_DependsOnTensorsOnly_AndNamesTheReadme()
    {
        using ZipArchive package = ZipFile.OpenRead(feed.PackageFile);
        ZipArchiveEntry nuspecEntry = Assert.Single(package.Entries, e => e.FullName == "GqaGen.nuspec");
        using Stream stream = nuspecEntry.Open();
        XElement metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id")).ToList();
        Assert.Equal(["System.Numerics.Tensors"], dependencies);
        Assert.Equal("README.md", metadata.Elements().Single(e => e.Name.LocalName == "readme").Value);
        Assert.Equal(feed.Version, metadata.Elements().Single(e => e.Name.LocalName == "version").Value);
    }
}
