using ScottPlot;

namespace GqaGen.Cli;

/// <summary>One panel of the heat-map figure: query <paramref name="Head"/>, which reads K/V head
/// <paramref name="Group"/>, drawn at (<paramref name="Row"/>, <paramref name="Column"/>) of the grid.</summary>
public sealed record HeatmapCell(int Head, int Group, int Row, int Column);

/// <summary>
/// Where everything in the <c>gqagen heatmap</c> figure goes: which query heads are drawn, their places in a grid
/// grouped by K/V head, and the pixel rectangles of the title strip, the colour bar and every panel (ScottPlot's
/// multiplot asks this layout for them, in subplot order: title, colour bar, then the panels).
/// </summary>
/// <remarks>
/// With 3 or more heads per group each group starts a new grid row (wrapping after <see cref="MaxColumns"/>
/// heads), so a row of identical panels is one K/V head. With 1 or 2 heads per group (MHA, or nearly), one group per
/// row would be a tall thin column, so whole groups are packed side by side into a roughly square grid.
/// Panel sizes are capped so that even 64 heads of a 128-wide head give a figure of about 2,000 pixels a side.
/// </remarks>
public sealed class KvHeatmapLayout : IMultiplotLayout
{
    /// <summary>Most panels side by side.</summary>
    public const int MaxColumns = 8;

    /// <summary>Height of the strip above the grid that holds the overall title and the subtitle.</summary>
    public const int TitleHeight = 76;

    /// <summary>Width of the column right of the grid that holds the shared colour bar, its ticks and label.</summary>
    public const int ColorBarWidth = 120;

    /// <summary>Space above each panel's data area for its "head h · group g" title.</summary>
    public const int PanelTop = 24;

    /// <summary>Space below each panel's data area for its head-dimension ticks.</summary>
    public const int PanelBottom = 22;

    /// <summary>Space on either side of a panel's data area.</summary>
    public const int PanelSide = 8;

    /// <summary>The figure is never narrower than this, so the overall title fits.</summary>
    public const int MinWidth = 960;

    /// <summary>Tallest colour bar, in pixels: a taller one only spreads the same ticks further apart.</summary>
    public const int MaxColorBarHeight = 480;

    /// <summary>Grid rows shrink their panels so that the grid stays within about this many pixels of height.</summary>
    private const int MaxGridHeight = 2000;

    private readonly PixelRect[] _rectangles;

    /// <summary>Arranges the first query heads of <paramref name="heads"/> query heads sharing <paramref name="kvGroups"/>
    /// K/V heads (whole groups, at most <paramref name="maxHeads"/> heads) for maps of <paramref name="tokens"/> rows and
    /// <paramref name="headDim"/> columns; <paramref name="tokenLabelWidth"/> is the pixel width of the widest token label.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or <paramref name="kvGroups"/> does not divide <paramref name="heads"/>.</exception>
    public KvHeatmapLayout(int heads, int kvGroups, int headDim, int tokens, int maxHeads, int tokenLabelWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeads);
        ArgumentOutOfRangeException.ThrowIfNegative(tokenLabelWidth);
        if (heads % kvGroups != 0)
            throw new ArgumentOutOfRangeException(nameof(kvGroups), kvGroups, $"KvGroups {kvGroups} must divide Heads {heads}.");

        Cells = Arrange(heads, kvGroups, maxHeads, out int columns, out int rows);
        Columns = columns;
        Rows = rows;
        GroupsShown = Cells[^1].Group + 1;

        // Cells of about 4 × 14 pixels read well; cap the panel so wide heads and long prompts stay on screen. Sizes are
        // whole pixels per cell where a cell gets at least one, so cells are even and every panel renders alike.
        DataWidth = WholeCells(headDim, Math.Clamp(headDim * 4, 96, 224));
        DataHeight = WholeCells(tokens, Math.Clamp(tokens * 14, 72, 240));
        if (rows * (DataHeight + PanelTop + PanelBottom) > MaxGridHeight)
            DataHeight = WholeCells(tokens, Math.Max(40, MaxGridHeight / rows - PanelTop - PanelBottom));
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
        Width = gridWidth + ColorBarWidth;
        Height = TitleHeight + rows * panelHeight + 8;

        var rectangles = new List<PixelRect>
        {
            new(0, Width, TitleHeight, 0),
            // The colour bar spans the first rows of the grid, at most MaxColorBarHeight of data.
            new(gridWidth, Width, TitleHeight + Math.Min(rows * panelHeight, MaxColorBarHeight + PanelTop + PanelBottom), TitleHeight),
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

    /// <summary>The panels drawn, in head order.</summary>
    public IReadOnlyList<HeatmapCell> Cells { get; }

    /// <summary>Grid columns.</summary>
    public int Columns { get; }

    /// <summary>Grid rows.</summary>
    public int Rows { get; }

    /// <summary>K/V heads whose query heads are drawn (the first ones).</summary>
    public int GroupsShown { get; }

    /// <summary>Width of each panel's data area in pixels.</summary>
    public int DataWidth { get; }

    /// <summary>Height of each panel's data area in pixels.</summary>
    public int DataHeight { get; }

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
        return _rectangles[2 + index].Contract(PanelPadding(Cells[index].Column));
    }

    /// <summary>The rectangles computed for the figure size; ScottPlot calls this at render time.</summary>
    /// <exception cref="InvalidOperationException">The multiplot does not hold the title, the colour bar and one plot per cell.</exception>
    public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
    {
        ArgumentNullException.ThrowIfNull(subplots);
        if (subplots.Count != _rectangles.Length)
            throw new InvalidOperationException($"The layout places {_rectangles.Length} plots (title, colour bar, {Cells.Count} panels) but the multiplot holds {subplots.Count}.");
        return _rectangles;
    }

    /// <summary><paramref name="pixels"/> rounded down to a multiple of <paramref name="cells"/> when each cell still
    /// gets a pixel or more; else unchanged (cells then share pixels).</summary>
    private static int WholeCells(int cells, int pixels) => cells <= pixels ? pixels / cells * cells : pixels;

    /// <summary>The grid cell of every query head drawn: whole groups, first to last, until <paramref name="maxHeads"/>
    /// heads (at least the first group, cut to <paramref name="maxHeads"/> heads if it alone has more).</summary>
    private static HeatmapCell[] Arrange(int heads, int kvGroups, int maxHeads, out int columns, out int rows)
    {
        int perGroup = heads / kvGroups;
        int groupsShown = Math.Clamp(maxHeads / perGroup, 1, kvGroups);
        int headsPerGroupShown = Math.Min(perGroup, maxHeads);
        var cells = new List<HeatmapCell>(groupsShown * headsPerGroupShown);
        if (perGroup >= 3)
        {
            // A group per grid row (or a few rows, wrapped, when it has more than MaxColumns heads).
            columns = Math.Min(headsPerGroupShown, MaxColumns);
            int rowsPerGroup = (headsPerGroupShown + columns - 1) / columns;
            for (int g = 0; g < groupsShown; g++)
                for (int i = 0; i < headsPerGroupShown; i++)
                    cells.Add(new HeatmapCell(g * perGroup + i, g, g * rowsPerGroup + i / columns, i % columns));
            rows = groupsShown * rowsPerGroup;
        }
        else
        {
            // Whole groups side by side.
            int groupsPerRow = GroupsPerRow(groupsShown, perGroup);
            columns = Math.Min(groupsPerRow, groupsShown) * perGroup;
            for (int g = 0; g < groupsShown; g++)
                for (int i = 0; i < perGroup; i++)
                    cells.Add(new HeatmapCell(g * perGroup + i, g, g / groupsPerRow, g % groupsPerRow * perGroup + i));
            rows = (groupsShown + groupsPerRow - 1) / groupsPerRow;
        }
        return [.. cells];
    }

    /// <summary>Groups side by side when a group has 1 or 2 heads: about √(2n) panels per row for n panels (panels
    /// are about twice as tall as wide, so that looks square), preferring a count that fills the last row.</summary>
    private static int GroupsPerRow(int groups, int perGroup)
    {
        int most = Math.Max(1, MaxColumns / perGroup);
        int target = Math.Clamp((int)Math.Ceiling(Math.Sqrt(2.0 * groups * perGroup) / perGroup), 1, most);
        for (int c = target; c <= most; c++)
            if (groups % c == 0)
                return c;
        for (int c = target - 1; c >= Math.Max(1, (target + 1) / 2); c--)
            if (groups % c == 0)
                return c;
        return target;
    }
}
