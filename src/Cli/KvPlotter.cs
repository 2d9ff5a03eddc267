using System.Globalization;
using ScottPlot;

namespace GqaGen.Cli;

/// <summary>How <c>gqagen plot</c> scales the KV-cache axis.</summary>
public enum KvYScale
{
    /// <summary>Log when the largest line ends more than <see cref="KvPlotter.AutoLogSpread"/> times above the smallest, else linear.</summary>
    Auto,

    /// <summary>Gigabytes from zero: reads absolute sizes, but lines far below the largest lie along the floor.</summary>
    Linear,

    /// <summary>Bytes on a log scale: every line keeps its own height, and the gap between two lines is their ratio.</summary>
    Log,
}

/// <summary>One line of the plot: its label, its number of K/V heads, its size at the right end and its colour (#rrggbb).</summary>
public sealed record PlotSeries(string Label, int KvGroups, double BytesAtMaxContext, string Color);

/// <summary>What <see cref="KvPlotter.Render"/> drew: the lines, the scale it used, the largest line's end over the
/// smallest's, and the pixel rectangle of the data area (for checking the picture).</summary>
public sealed record KvPlotImage(IReadOnlyList<PlotSeries> Series, KvYScale YScale, double Spread, PixelRect DataArea);

/// <summary>Draws KV-cache size against context length for MHA and each divisor G of H, on a linear or log axis.</summary>
public static class KvPlotter
{
    public const int Width = 1000;
    public const int Height = 640;

    /// <summary><see cref="KvYScale.Auto"/> picks the log axis when the largest line ends more than this many times
    /// above the smallest: on a linear axis a line 20× below the top is within about 5% of the plot's height of zero.</summary>
    public const double AutoLogSpread = 20;

    /// <summary>The log axis reaches this factor below the smallest line's right end, so that line ends well above the
    /// floor, with room under it for the legend.</summary>
    private const double LogFloorFactor = 20;

    /// <summary>Parses <c>--y-scale</c>.</summary>
    /// <exception cref="CliException">The text is not auto, linear or log.</exception>
    public static KvYScale ParseYScale(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "auto" => KvYScale.Auto,
        "linear" => KvYScale.Linear,
        "log" => KvYScale.Log,
        _ => throw new CliException($"--y-scale '{text}' is not a scale; use auto, linear or log"),
    };

    /// <summary>The scale <paramref name="requested"/> resolves to for lines whose ends span <paramref name="spread"/>×.</summary>
    public static KvYScale Resolve(KvYScale requested, double spread) =>
        requested != KvYScale.Auto ? requested : spread > AutoLogSpread ? KvYScale.Log : KvYScale.Linear;

    public static KvPlotImage Render(string path, int layers, int heads, int headDim, KvDtype dtype, long batch,
        long maxContext, KvYScale yScale = KvYScale.Auto, string? title = null)
    {
        Validate.Positive(maxContext, "--max-context");
        Validate.Positive(batch, "--batch");
        var groups = PickGroups(heads).OrderByDescending(g => g).ToList();
        double BytesPerToken(int g) => KvCacheMath.TotalBytes(layers, g, headDim, 1, batch, dtype);
        double largest = BytesPerToken(groups[0]) * maxContext, smallest = BytesPerToken(groups[^1]) * maxContext;
        double spread = largest / smallest;
        KvYScale scale = Resolve(yScale, spread);
        bool log = scale == KvYScale.Log;

        // Linear: 65 points from 0. Log: no zero (it has no logarithm), and 257 points, dense enough that the curves
        // rising from the left stay smooth.
        int points = log ? 257 : 65;
        double[] xs = log
            ? [.. Enumerable.Range(1, points).Select(i => (double)maxContext * i / points)]
            : [.. Enumerable.Range(0, points).Select(i => (double)maxContext * i / (points - 1))];

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var series = new List<PlotSeries>();
        for (int i = 0; i < groups.Count; i++)
        {
            int g = groups[i];
            double perToken = BytesPerToken(g);
            double[] ys = [.. xs.Select(x => log ? Math.Log10(perToken * x) : perToken * x / Units.GB)];
            string label = g == heads ? $"MHA (G = {g})" : g == 1 ? "MQA (G = 1)" : $"GQA (G = {g})";
            double end = perToken * maxContext;
            Color color = palette.GetColor(i);
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = g == heads
                ? $"{label}: {ByteLabel(end)}"
                : $"{label}: {ByteLabel(end)}, 1/{Ratio(largest / end)} of MHA";
            scatter.MarkerSize = 0;
            scatter.LineWidth = 2;
            scatter.Color = color;
            series.Add(new PlotSeries(label, g, end, color.ToHex()));
        }
        string context = maxContext.ToString("N0", CultureInfo.InvariantCulture);
        plot.Title(title ?? $"KV cache vs context ({layers} layers, H = {heads}, d = {headDim}, {dtype}, batch {batch})");
        plot.XLabel("Context length (tokens)");
        if (log)
        {
            double bottom = Math.Log10(smallest / LogFloorFactor), top = Math.Log10(largest * 1.6);
            plot.Axes.SetLimits(0, maxContext, bottom, top);
            plot.Axes.Left.TickGenerator = LogTicks(bottom, top);
            plot.YLabel("KV cache size (log scale; 1 GB = 10^9 bytes)");
        }
        else
        {
            plot.Axes.SetLimits(0, maxContext, 0, largest / Units.GB * 1.05);
            plot.YLabel("KV cache size (GB, 10^9 bytes)");
        }
        plot.Legend.FontSize = 13;
        // Log: the lines rise from the lower left, leaving the lower right (below the smallest line's end) empty.
        plot.ShowLegend(log ? Alignment.LowerRight : Alignment.UpperLeft);
        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = log ? $"sizes at {context} tokens; equal gaps = equal ratios" : $"sizes at {context} tokens",
            LineWidth = 0,
            MarkerSize = 0,
        });
        PixelRect dataArea;
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            plot.SavePng(path, Width, Height);
            dataArea = plot.RenderManager.LastRender.DataRect;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot write '{path}': {e.Message}");
        }
        return new KvPlotImage(series, scale, spread, dataArea);
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

    /// <summary>A byte count with a decimal unit, at most three significant digits: "512 MB", "2.15 GB", "1 TB".</summary>
    public static string ByteLabel(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
        int unit = 0;
        while (unit < units.Length - 1 && Math.Abs(bytes) >= 999.5)
        {
            bytes /= 1000;
            unit++;
        }
        string number = Math.Abs(bytes) >= 100 ? bytes.ToString("0", CultureInfo.InvariantCulture)
            : Math.Abs(bytes) >= 10 ? bytes.ToString("0.#", CultureInfo.InvariantCulture)
            : bytes.ToString("0.##", CultureInfo.InvariantCulture);
        return $"{number} {units[unit]}";
    }

    /// <summary>Ticks for a log10(bytes) axis from <paramref name="bottom"/> to <paramref name="top"/>: labelled at 1, 2 and
    /// 5 × 10^k bytes (only at powers of ten when the axis spans more than four decades), unlabelled at the other digits.</summary>
    internal static IReadOnlyList<Tick> LogTickList(double bottom, double top)
    {
        var ticks = new List<Tick>();
        int[] labelled = top - bottom > 4 ? [1] : [1, 2, 5];
        for (int k = (int)Math.Floor(bottom); k <= (int)Math.Ceiling(top); k++)
        {
            for (int digit = 1; digit <= 9; digit++)
            {
                double bytes = digit * Math.Pow(10, k);
                double y = Math.Log10(bytes);
                if (y < bottom || y > top)
                    continue;
                ticks.Add(labelled.Contains(digit) ? Tick.Major(y, ByteLabel(bytes)) : Tick.Minor(y));
            }
        }
        return ticks;
    }

    private static ScottPlot.TickGenerators.NumericManual LogTicks(double bottom, double top)
    {
        var generator = new ScottPlot.TickGenerators.NumericManual();
        foreach (Tick tick in LogTickList(bottom, top))
        {
            if (tick.IsMajor)
                generator.AddMajor(tick.Position, tick.Label);
            else
                generator.AddMinor(tick.Position);
        }
        return generator;
    }

    private static string Ratio(double ratio) =>
        Math.Abs(ratio - Math.Round(ratio)) < 1e-9 ? Math.Round(ratio).ToString(CultureInfo.InvariantCulture) : ratio.ToString("0.##", CultureInfo.InvariantCulture);
}
