using ScottPlot;

namespace GqaGen.Cli;

/// <summary>One panel of the heat-map figure: K/V head <paramref name="Group"/>, read by the
/// <paramref name="HeadCount"/> query heads from <paramref name="FirstHead"/> on, drawn at (<paramref name="Row"/>,
/// <paramref name="Column"/>) of the grid.</summary>
public sealed record HeatmapCell(int Group, int FirstHead, int HeadCount, int Row, int Column)
{
    /// <summary>The query heads that read this K/V head, as a panel names them: "query head 5", "query heads 0, 1, 2, 3"
    /// or, past four, "query heads 0–70 (71)".</summary>
    public string HeadsText => HeadCount switch
    {
        1 => $"query head {FirstHead}",
        <= 4 => "query heads " + string.Join(", ", Enumerable.Range(FirstHead, HeadCount)),
        _ => $"query heads {FirstHead}–{FirstHead + HeadCount - 1} ({HeadCount})",
    };
}

/// <summary>
/// Where everything in the <c>gqagen heatmap</c> figure goes: one panel per K/V head (the query heads of a group read
/// the same cached rows, so drawing each of them would repeat one picture H/G times), their places in a roughly square
/// grid, the rows that get a token label, and the pixel rectangles of the title strip, the colour bar, the caption
/// strip and every panel (ScottPlot's multiplot asks this layout for them, in subplot order: title, colour bar,
/// caption, then the panels).
/// </summary>
/// <remarks>
/// Rows are at least <see cref="LabelRowPixels"/> tall when the panel height allows, so every token gets its label;
/// longer prompts label the rows <see cref="TokenLabels.RowsToLabel"/> picks (always the first and the last).
/// Panel sizes are capped so that even 64 groups of a 128-wide head give a figure of about 2,000 pixels a side.
/// </remarks>
public sealed class KvHeatmapLayout : IMultiplotLayout
{
    /// <summary>Most panels side by side.</summary>
    public const int MaxColumns = 8;

    /// <summary>Height of the strip above the grid that holds the overall title and the subtitle.</summary>
    public const int TitleHeight = 76;

    /// <summary>Height of the strip below the grid that holds the caption (what to look for), up to three lines.</summary>
    public const int CaptionHeight = 66;

    /// <summary>Width of the column right of the grid that holds the shared colour bar, its ticks and label.</summary>
    public const int ColorBarWidth = 120;

    /// <summary>Space above each panel's data area for its two-line title: the K/V head and the query heads reading it.</summary>
    public const int PanelTop = 40;

    /// <summary>Space below each panel's data area for its head-dimension ticks.</summary>
    public const int PanelBottom = 22;

    /// <summary>Space on either side of a panel's data area.</summary>
    public const int PanelSide = 8;

    /// <summary>The figure is never narrower than this, so the overall title fits.</summary>
    public const int MinWidth = 960;

    /// <summary>Tallest colour bar, in pixels: a taller one only spreads the same ticks further apart.</summary>
    public const int MaxColorBarHeight = 480;

    /// <summary>Pixels a token label needs (11-point text and a little space): rows this tall or taller are all labelled.</summary>
    public const int LabelRowPixels = 14;

    /// <summary>Grid rows shrink their panels so that the grid stays within about this many pixels of height.</summary>
    private const int MaxGridHeight = 2000;

    private readonly PixelRect[] _rectangles;

    /// <summary>Arranges the first K/V heads (at most <paramref name="maxGroups"/>) of <paramref name="heads"/> query heads
    /// sharing <paramref name="kvGroups"/> K/V heads, one panel each, for maps of <paramref name="tokens"/> rows and
    /// <paramref name="headDim"/> columns; <paramref name="tokenLabelWidth"/> is the pixel width of the widest token label.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or <paramref name="kvGroups"/> does not divide <paramref name="heads"/>.</exception>
    public KvHeatmapLayout(int heads, int kvGroups, int headDim, int tokens, int maxGroups, int tokenLabelWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxGroups);
        ArgumentOutOfRangeException.ThrowIfNegative(tokenLabelWidth);
        if (heads % kvGroups != 0)
            throw new ArgumentOutOfRangeException(nameof(kvGroups), kvGroups, $"KvGroups {kvGroups} must divide Heads {heads}.");

        int perGroup = heads / kvGroups;
        GroupsShown = Math.Min(kvGroups, maxGroups);
        int columns = GroupsPerRow(GroupsShown);
        Columns = columns;
        Rows = (GroupsShown + columns - 1) / columns;
        Cells = [.. Enumerable.Range(0, GroupsShown).Select(g => new HeatmapCell(g, g * perGroup, perGroup, g / columns, g % columns))];

        // Cells of about 4 × 22 pixels read well and leave room for a label per row; cap the panel so wide heads and long
        // prompts stay on screen. Sizes are whole pixels per cell where a cell gets at least one, so cells are even and
        // every panel renders alike.
        DataWidth = WholeCells(headDim, Math.Clamp(headDim * 4, 96, 224));
        DataHeight = WholeCells(tokens, Math.Clamp(tokens * 22, 96, 640));
        if (Rows * (DataHeight + PanelTop + PanelBottom) > MaxGridHeight)
            DataHeight = WholeCells(tokens, Math.Max(40, MaxGridHeight / Rows - PanelTop - PanelBottom));
        LabelledTokens = TokenLabels.RowsToLabel(tokens, Math.Max(2, DataHeight / LabelRowPixels));
        Gutter = Math.Clamp(tokenLabelWidth + 10, 24, 140);

        int gridWidth = Gutter + columns * (DataWidth + 2 * PanelSide);
        if (gridWidth + ColorBarWidth < MinWidth)
        {
            // Widen the panels (by whole pixels per cell) rather than leave a blank margin under a long title.
            int extra = (MinWidth - ColorBarWidth - gridWidth) / columns;
            DataWidth += headDim <= DataWidth ? (extra + headDim - 1) / headDim * headDim : extra;
            gridWidth = Gutter + columns * (DataWidth + 2 * PanelSide);
        }
        int panelHeight = DataHeight + PanelTop + PanelBottom;
        int gridBottom = TitleHeight + Rows * panelHeight;
        Width = gridWidth + ColorBarWidth;
        Height = gridBottom + CaptionHeight;

        var rectangles = new List<PixelRect>
        {
            new(0, Width, TitleHeight, 0),
            // The colour bar spans the first rows of the grid, at most MaxColorBarHeight of data.
            new(gridWidth, Width, TitleHeight + Math.Min(Rows * panelHeight, MaxColorBarHeight + PanelTop + PanelBottom), TitleHeight),
            new(0, Width, Height, gridBottom),
        };
        foreach (HeatmapCell cell in Cells)
        {
            float left = cell.Column == 0 ? 0 : Gutter + cell.Column * (DataWidth + 2 * PanelSide);
            float right = Gutter + (cell.Column + 1) * (DataWidth + 2 * PanelSide);
            float top = TitleHeight + cell.Row * panelHeight;
            rectangles.Add(new PixelRect(left, right, top + panelHeight, top));
        }
        _rectangles = [.. rectangles];
    }

    /// <summary>The panels drawn, one per K/V head, in order.</summary>
    public IReadOnlyList<HeatmapCell> Cells { get; }

    /// <summary>Grid columns.</summary>
    public int Columns { get; }

    /// <summary>Grid rows.</summary>
    public int Rows { get; }

    /// <summary>K/V heads drawn (the first ones): the number of panels.</summary>
    public int GroupsShown { get; }

    /// <summary>Width of each panel's data area in pixels.</summary>
    public int DataWidth { get; }

    /// <summary>Height of each panel's data area in pixels.</summary>
    public int DataHeight { get; }

    /// <summary>The token rows that get a label: every one when the rows are at least <see cref="LabelRowPixels"/> tall.</summary>
    public IReadOnlyList<int> LabelledTokens { get; }

    /// <summary>Extra space left of the first column for the token labels.</summary>
    public int Gutter { get; }

    /// <summary>Figure width in pixels.</summary>
    public int Width { get; }

    /// <summary>Figure height in pixels.</summary>
    public int Height { get; }

    /// <summary>The padding around the data area of the panel in <paramref name="column"/>: the first column also
    /// holds the token labels.</summary>
    public PixelPadding PanelPadding(int column) =>
        new(column == 0 ? Gutter + PanelSide : PanelSide, PanelSide, PanelBottom, PanelTop);

    /// <summary>The pixel rectangle of the data area (the map itself, inside the frame) of panel <paramref name="index"/>
    /// (an index into <see cref="Cells"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a panel.</exception>
    public PixelRect DataRect(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Cells.Count);
        return _rectangles[3 + index].Contract(PanelPadding(Cells[index].Column));
    }

    /// <summary>The rectangles computed for the figure size; ScottPlot calls this at render time.</summary>
    /// <exception cref="InvalidOperationException">The multiplot does not hold the title, the colour bar and one plot per cell.</exception>
    public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
    {
        ArgumentNullException.ThrowIfNull(subplots);
        if (subplots.Count != _rectangles.Length)
            throw new InvalidOperationException($"The layout places {_rectangles.Length} plots (title, colour bar, caption, {Cells.Count} panels) but the multiplot holds {subplots.Count}.");
        return _rectangles;
    }

    /// <summary><paramref name="pixels"/> rounded down to a multiple of <paramref name="cells"/> when each cell still
    /// gets a pixel or more; else unchanged (cells then share pixels).</summary>
    private static int WholeCells(int cells, int pixels) => cells <= pixels ? pixels / cells * cells : pixels;

    /// <summary>Panels per grid row for <paramref name="groups"/> panels: about √(2n) (panels are about twice as tall as
    /// wide, so that looks square), at most <see cref="MaxColumns"/>, preferring a count that fills the last row.</summary>
    private static int GroupsPerRow(int groups)
    {
        int target = Math.Clamp((int)Math.Ceiling(Math.Sqrt(2.0 * groups)), 1, Math.Min(MaxColumns, groups));
        for (int c = target; c <= Math.Min(MaxColumns, groups); c++)
            if (groups % c == 0)
                return c;
        for (int c = target - 1; c >= Math.Max(1, (target + 1) / 2); c--)
            if (groups % c == 0)
                return c;
        return target;
    }
}
