using ScottPlot;

namespace GqaGen.Cli;

public sealed record PlotSeries(string Label, int KvGroups, double BytesAtMaxContext);

/// <summary>Draws KV-cache size (GB) against context length for MHA and each divisor G of H.</summary>
public static class KvPlotter
{
    public const int Width = 1000;
    public const int Height = 640;

    public static IReadOnlyList<PlotSeries> Render(string path, int layers, int heads, int headDim, KvDtype dtype, long batch,
        long maxContext, string? title = null)
    {
        Validate.Positive(maxContext, "--max-context");
        Validate.Positive(batch, "--batch");
        var groups = PickGroups(heads);
        var plot = new Plot();
        const int points = 65;
        double[] xs = Enumerable.Range(0, points).Select(i => (double)maxContext * i / (points - 1)).ToArray();
        var series = new List<PlotSeries>();
        foreach (int g in groups.OrderByDescending(g => g))
        {
            double[] ys = xs.Select(x => KvCacheMath.TotalBytes(layers, g, headDim, 1, batch, dtype) * x / Units.GB).ToArray();
            string label = g == heads ? $"MHA (G = {g})" : g == 1 ? "MQA (G = 1)" : $"GQA (G = {g})";
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = label;
            scatter.MarkerSize = 0;
            scatter.LineWidth = 2;
            series.Add(new PlotSeries(label, g, ys[^1] * Units.GB));
        }
        plot.Title(title ?? $"KV cache vs context ({layers} layers, H = {heads}, d = {headDim}, {dtype}, batch {batch})");
        plot.XLabel("Context length (tokens)");
        plot.YLabel("KV cache size (GB, 10^9 bytes)");
        plot.Axes.SetLimits(0, maxContext, 0, series.Max(s => s.BytesAtMaxContext) / Units.GB * 1.05);
        plot.ShowLegend(Alignment.UpperLeft);
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            plot.SavePng(path, Width, Height);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot write '{path}': {e.Message}");
        }
        return series;
    }

    /// <summary>Every divisor when there are at most 8; otherwise 1, H and the powers-of-two divisors in between (at most 8 lines).</summary>
    public static IReadOnlyList<int> PickGroups(int heads)
    {
        var divisors = KvCacheMath.Divisors(heads);
        if (divisors.Count <= 8) return divisors;
        var picked = divisors.Where(d => d == 1 || d == heads || (d & (d - 1)) == 0).ToList();
        while (picked.Count > 8) picked.RemoveAt(picked.Count / 2);
        return picked;
    }
}
