using System.Globalization;
using ScottPlot;

namespace GqaGen.Cli;

/// <summary>What a panel shows: the map of <see cref="Cell"/>'s K/V head as its query heads read it, [token, dimension].</summary>
public sealed record HeatmapPanel(HeatmapCell Cell, double[,] Data);

/// <summary>The figure written: its size, the panels drawn and the colour scale they share.</summary>
public sealed record HeatmapImage(int Width, int Height, int GroupsShown, int Columns, int Rows, double ScaleMin, double ScaleMax);

/// <summary>
/// Draws one heat map per K/V head (rows: the prompt's tokens; columns: the head dimension), each panel naming the query
/// heads that read it, with one colour scale centred on zero shared by every panel and shown in a colour bar, and a
/// caption saying what to look for, as a PNG.
/// </summary>
public static class KvHeatmapPlotter
{
    /// <summary>Default for <c>--max-groups</c>: every K/V head of every model the decoder runs up to 64 of them.</summary>
    public const int DefaultMaxGroups = 64;

    /// <summary>Largest <c>--max-groups</c>: 256 panels are already a figure of about 2,200 × 3,000 pixels.</summary>
    public const int MaxDrawableGroups = 256;

    /// <summary>Font size of the token labels, also used to reserve the label gutter (about 0.6 em per character).</summary>
    private const float TokenLabelFontSize = 11;

    /// <summary>Renders <paramref name="maps"/> to <paramref name="path"/>: the first <paramref name="maxGroups"/> K/V heads,
    /// one panel each, with <paramref name="caption"/> (lines split by \n) under the grid.</summary>
    /// <exception cref="ArgumentException"><paramref name="tokenLabels"/> does not have one label per token.</exception>
    /// <exception cref="CliException">The file cannot be written.</exception>
    public static HeatmapImage Render(string path, KvHeadMaps maps, IReadOnlyList<string> tokenLabels, string title, string subtitle,
        string caption, int maxGroups)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(tokenLabels);
        if (tokenLabels.Count != maps.Tokens)
            throw new ArgumentException($"Expected {maps.Tokens} token labels, got {tokenLabels.Count}.", nameof(tokenLabels));

        var layout = Layout(maps, tokenLabels, maxGroups);
        var panels = Panels(maps, layout);
        double half = maps.MaxAbs(layout.GroupsShown);
        if (!(half > 0) || !double.IsFinite(half))
            half = 1; // an all-zero (or broken) cache still gets a readable scale
        var scale = new SharedColorScale(new ScottPlot.Colormaps.Balance(), new ScottPlot.Range(-half, half));

        if (panels.Count < maps.KvGroups)
            subtitle += $" (K/V heads 0–{panels.Count - 1} of {maps.KvGroups} shown; --max-groups sets how many)";
        var multiplot = new Multiplot(TitlePlot(title, subtitle)); // a multiplot starts with one plot: make it the title
        multiplot.Subplots.Add(ColorBarPlot(scale, maps.Tensor));
        multiplot.Subplots.Add(CaptionPlot(caption));
        foreach (HeatmapPanel panel in panels)
            multiplot.Subplots.Add(PanelPlot(panel, layout, scale, tokenLabels));
        multiplot.Layout = layout;

        try
        {
            multiplot.SavePng(path, layout.Width, layout.Height);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot write '{path}': {e.Message}");
        }
        return new HeatmapImage(layout.Width, layout.Height, layout.GroupsShown, layout.Columns, layout.Rows, -half, half);
    }

    /// <summary>The figure's layout for <paramref name="maps"/> with these labels.</summary>
    internal static KvHeatmapLayout Layout(KvHeadMaps maps, IReadOnlyList<string> tokenLabels, int maxGroups)
    {
        int widest = tokenLabels.Count == 0 ? 0 : tokenLabels.Max(l => l.Length);
        return new KvHeatmapLayout(maps.Heads, maps.KvGroups, maps.HeadDim, maps.Tokens, maxGroups,
            tokenLabelWidth: (int)Math.Ceiling(widest * TokenLabelFontSize * 0.62));
    }

    /// <summary>The data of every panel drawn: for each K/V head, the map its first query head reads, built by
    /// <see cref="KvHeadMaps.ForHead"/> from the head number (every query head of the group reads the same rows, which
    /// the tests check against the cache, so one panel stands for all of them).</summary>
    internal static IReadOnlyList<HeatmapPanel> Panels(KvHeadMaps maps, KvHeatmapLayout layout) =>
        [.. layout.Cells.Select(cell => new HeatmapPanel(cell, maps.ForHead(cell.FirstHead)))];

    private static Plot TitlePlot(string title, string subtitle)
    {
        var plot = new Plot();
        plot.HideAxesAndGrid();
        plot.Axes.Frameless();
        plot.Layout.Frameless();
        var heading = plot.Add.Text(title, 0.5, 0.72);
        heading.LabelFontSize = 17;
        heading.LabelBold = true;
        heading.LabelAlignment = Alignment.MiddleCenter;
        var sub = plot.Add.Text(subtitle, 0.5, 0.36);
        sub.LabelFontSize = 13;
        sub.LabelAlignment = Alignment.MiddleCenter;
        plot.Axes.SetLimits(0, 1, 0, 1);
        return plot;
    }

    private static Plot CaptionPlot(string caption)
    {
        var plot = new Plot();
        plot.HideAxesAndGrid();
        plot.Axes.Frameless();
        plot.Layout.Frameless();
        var text = plot.Add.Text(caption, 0.012, 0.5);
        text.LabelFontSize = 13;
        text.LabelAlignment = Alignment.MiddleLeft;
        plot.Axes.SetLimits(0, 1, 0, 1);
        return plot;
    }

    private static Plot ColorBarPlot(SharedColorScale scale, KvTensor tensor)
    {
        var plot = new Plot();
        plot.HideAxesAndGrid();
        plot.Axes.Frameless();
        // A 1-pixel data area at the left edge; the colour bar panel hangs off its right side, as tall as a grid row's panels span.
        plot.Layout.Fixed(new PixelPadding(0, KvHeatmapLayout.ColorBarWidth - 1, KvHeatmapLayout.PanelBottom, KvHeatmapLayout.PanelTop));
        var bar = plot.Add.ColorBar(scale, Edge.Right);
        bar.Label = tensor == KvTensor.Keys ? "key element (after RoPE)" : "value element";
        bar.LabelStyle.FontSize = 12;
        bar.LabelStyle.Bold = false;
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TargetTickCount = 9 };
        return plot;
    }

    private static Plot PanelPlot(HeatmapPanel panel, KvHeatmapLayout layout, SharedColorScale scale, IReadOnlyList<string> tokenLabels)
    {
        double[,] data = panel.Data;
        int tokens = data.GetLength(0), dims = data.GetLength(1);
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = scale.Colormap;
        heatmap.ManualRange = scale.GetRange();
        // Row 0 (the first token) is drawn at the top; cell (t, i) covers x ∈ [i, i+1], y ∈ [tokens−t−1, tokens−t].
        heatmap.Rectangle = new CoordinateRect(0, dims, 0, tokens);
        plot.Axes.SetLimits(0, dims, 0, tokens);
        plot.HideGrid();
        plot.Layout.Fixed(layout.PanelPadding(panel.Cell.Column));

        Color groupColor = GroupColor(panel.Cell.Group);
        plot.Title($"K/V head {panel.Cell.Group}\n{panel.Cell.HeadsText}", 12);
        plot.Axes.Title.Label.ForeColor = groupColor;
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.Padding = 2;
        plot.Axes.FrameColor(groupColor);
        plot.Axes.FrameWidth(2);

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [0.5, dims / 2 + 0.5, dims - 0.5],
            ["0", (dims / 2).ToString(CultureInfo.InvariantCulture), (dims - 1).ToString(CultureInfo.InvariantCulture)]);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 10;

        var left = new ScottPlot.TickGenerators.NumericManual();
        if (panel.Cell.Column == 0)
        {
            foreach (int t in layout.LabelledTokens)
                left.AddMajor(tokens - t - 0.5, tokenLabels[t]);
        }
        plot.Axes.Left.TickGenerator = left;
        plot.Axes.Left.TickLabelStyle.FontSize = TokenLabelFontSize;
        // Top and right stay visible (they draw the frame's other two sides) but without ticks.
        plot.Axes.Right.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        plot.Axes.Top.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        return plot;
    }

    /// <summary>A categorical colour per K/V head, for panel titles and frames (Category10 is unambiguous for up to 10;
    /// beyond that colours repeat, and the titles still say the group).</summary>
    private static Color GroupColor(int group) => new ScottPlot.Palettes.Category10().GetColor(group);

    /// <summary>The one colour axis every panel uses, given to the colour bar.</summary>
    private sealed class SharedColorScale(IColormap colormap, ScottPlot.Range range) : IHasColorAxis
    {
        public IColormap Colormap { get; set; } = colormap;

        public ScottPlot.Range GetRange() => range;
    }
}
