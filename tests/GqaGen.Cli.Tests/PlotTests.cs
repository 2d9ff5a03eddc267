using System.Buffers.Binary;
using System.Text.Json;
using SkiaSharp;

namespace GqaGen.Cli.Tests;

public class PlotTests
{
    [Fact]
    public void Png_renders_with_content()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "kv.png");
        var r = CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--max-context", "131072", "--out", file);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Err);
        Assert.Contains("Wrote", r.Out);

        byte[] bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > 5 * 1024, $"PNG is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(KvPlotter.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(KvPlotter.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));

        using var bitmap = SKBitmap.Decode(file); // null if SkiaSharp cannot decode it: the next line then fails
        Assert.Equal(KvPlotter.Width, bitmap.Width);
        var colors = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3)
                colors.Add(bitmap.GetPixel(x, y));
        Assert.True(colors.Count > 10, $"only {colors.Count} distinct colours");
    }

    [Fact]
    public void Json_lists_series()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "sub", "kv.png");
        var r = CliRunner.Run("plot", "--hidden", "5120", "--heads", "40", "--layers", "40", "--dtype", "fp16", "--max-context", "4096",
            "--out", file, "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(file));
        using var doc = JsonDocument.Parse(r.Out);
        var series = doc.RootElement.GetProperty("series");
        Assert.Equal(8, series.GetArrayLength()); // every divisor of 40
        Assert.Equal(2.0 * 40 * 40 * 128 * 4096 * 2, series[0].GetProperty("bytesAtMaxContext").GetDouble(), 0);
    }

    [Fact]
    public void Many_divisors_are_thinned() => Assert.True(KvPlotter.PickGroups(128).Count <= 8);

    [Fact]
    public void Bad_input_is_one_line_and_exit_code_1()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "kv.png");
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "0", "--layers", "32", "--out", file), "--heads");
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--max-context", "0", "--out", file), "--max-context");
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--dtype", "fp64", "--out", file), "unknown dtype");
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--out", dir.Path), "cannot write");
        Assert.False(File.Exists(file));
    }
}
