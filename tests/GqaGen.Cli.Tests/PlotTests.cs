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
        Assert.Equal("log", doc.RootElement.GetProperty("yScale").GetString()); // MHA / MQA = 40 > 20
        Assert.Equal(40, doc.RootElement.GetProperty("spread").GetDouble(), 9);
    }

    [Theory]
    [InlineData(32, "auto", "log")]      // 32× apart: log
    [InlineData(20, "auto", "linear")]   // exactly 20×: not more than 20, linear
    [InlineData(16, "auto", "linear")]
    [InlineData(32, "linear", "linear")]
    [InlineData(8, "log", "log")]
    public void Y_scale_is_log_when_the_lines_span_more_than_20x(int heads, string asked, string used)
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "kv.png");
        var r = CliRunner.Run("plot", "--hidden", (heads * 128).ToString(), "--heads", heads.ToString(), "--layers", "32", "--y-scale", asked,
            "--out", file, "--json");
        Assert.Equal("", r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(used, doc.RootElement.GetProperty("yScale").GetString());
    }

    [Fact]
    public void Log_axis_lifts_the_small_lines_off_the_floor_and_spaces_them_by_their_ratio()
    {
        // Llama-3-8B's shape: MQA is 1/32 of MHA. On the linear axis its line lies within a few percent of the floor; on
        // the log axis every line is well clear of it, in order, and halving G moves a line down by the same distance.
        using var dir = new TempDir();
        var ends = new Dictionary<KvYScale, (double[] Heights, double DataHeight)>();
        foreach (var scale in new[] { KvYScale.Linear, KvYScale.Log })
        {
            string file = Path.Combine(dir.Path, $"{scale}.png");
            var image = KvPlotter.Render(file, 32, 32, 128, KvDtype.Parse("bf16"), 1, 131072, scale);
            Assert.Equal(scale, image.YScale);
            using var bitmap = SKBitmap.Decode(file);
            int x = (int)image.DataArea.Right - 4; // just left of the right end, clear of the legend's text
            double bottom = image.DataArea.Bottom;
            // Each line's height above the floor at that column, found from the pixels of its colour.
            double[] heights = [.. image.Series.Select(s => bottom - LowestPixelOfColor(bitmap, x, image.DataArea, SKColor.Parse(s.Color)))];
            ends[scale] = (heights, image.DataArea.Height);
        }

        var (linear, linearHeight) = ends[KvYScale.Linear];
        var (log, logHeight) = ends[KvYScale.Log];
        Assert.True(linear[^1] < 0.05 * linearHeight, $"linear: MQA is {linear[^1]} px above the floor");
        Assert.True(log[^1] > 0.25 * logHeight, $"log: MQA is only {log[^1]} px above the floor of {logHeight}");
        for (int i = 1; i < log.Length; i++)
        {
            double gap = log[i - 1] - log[i];
            Assert.True(gap > 30, $"log: lines {i - 1} and {i} are only {gap} px apart");
            Assert.InRange(gap, (log[0] - log[1]) - 4, (log[0] - log[1]) + 4); // each halving of G: the same step down
        }
    }

    [Fact]
    public void Log_ticks_are_bytes_with_units()
    {
        Assert.Equal("2.15 GB", KvPlotter.ByteLabel(2147483648));
        Assert.Equal("500 MB", KvPlotter.ByteLabel(5e8));
        Assert.Equal("1 TB", KvPlotter.ByteLabel(1e12));
        Assert.Equal("16.4 KB", KvPlotter.ByteLabel(16384));
        var ticks = KvPlotter.LogTickList(Math.Log10(1e8), Math.Log10(1e11));
        Assert.Equal(["100 MB", "200 MB", "500 MB", "1 GB", "2 GB", "5 GB", "10 GB", "20 GB", "50 GB", "100 GB"],
            ticks.Where(t => t.IsMajor).Select(t => t.Label));
    }

    /// <summary>The lowest pixel (largest y) in column <paramref name="x"/> of the data area close to <paramref name="color"/>.</summary>
    private static double LowestPixelOfColor(SKBitmap bitmap, int x, ScottPlot.PixelRect area, SKColor color)
    {
        for (int y = (int)area.Bottom - 1; y > (int)area.Top; y--)
        {
            var p = bitmap.GetPixel(x, y);
            if (Math.Abs(p.Red - color.Red) + Math.Abs(p.Green - color.Green) + Math.Abs(p.Blue - color.Blue) < 40)
                return y;
        }
        Assert.Fail($"no pixel of {color} in column {x}");
        return 0;
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
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--y-scale", "ln", "--out", file), "'ln' not recognized");
        CliRunner.AssertFails(CliRunner.Run("plot", "--hidden", "4096", "--heads", "32", "--layers", "32", "--out", dir.Path), "cannot write");
        Assert.False(File.Exists(file));
    }
}
