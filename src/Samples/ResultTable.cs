namespace GqaGen.Samples;

/// <summary>Collects <see cref="LayoutResult"/> rows and prints them as one aligned table.</summary>
internal sealed class ResultTable
{
    private readonly List<LayoutResult> _rows = [];

    public bool AllAccurate => _rows.All(row => row.MaxRelativeError <= LayoutBench.Tolerance);

    public void Add(IEnumerable<LayoutResult> rows) => _rows.AddRange(rows);

    public void Print(TextWriter output)
    {
        string[] header = ["Model", "H/G/d", "Path", "Context", "Max rel. error", "Generated", "Generic", "KV GB/s", "Speed-up", "KV bytes/token/layer (vs MHA)"];
        var lines = new List<string[]> { header };
        foreach (LayoutResult row in _rows)
        {
            GqaShape shape = row.Shape;
            long gqaBytes = 2L * shape.KvGroups * shape.HeadDim * sizeof(float);
            long mhaBytes = 2L * shape.Heads * shape.HeadDim * sizeof(float);
            lines.Add([
                row.Model,
                $"{shape.Heads}/{shape.KvGroups}/{shape.HeadDim}",
                row.Path.ToString(),
                row.Context.ToString("N0"),
                row.MaxRelativeError.ToString("0.0e+0") + (row.MaxRelativeError <= LayoutBench.Tolerance ? "" : " FAIL"),
                FormatTime(row.GeneratedSeconds),
                FormatTime(row.GenericSeconds),
                (row.KvBytes / row.GeneratedSeconds / 1e9).ToString("0.0"),
                (row.GenericSeconds / row.GeneratedSeconds).ToString("0.00") + "×",
                gqaBytes == mhaBytes ? $"{gqaBytes:N0} (is MHA)" : $"{gqaBytes:N0} ({(double)mhaBytes / gqaBytes:0.##}× less than MHA's {mhaBytes:N0})",
            ]);
        }

        int[] widths = Enumerable.Range(0, header.Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        for (int i = 0; i < lines.Count; i++)
        {
            output.WriteLine("| " + string.Join(" | ", lines[i].Select((cell, c) => c is 0 or 2 or 9 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |");
            if (i == 0)
                output.WriteLine("|" + string.Join("|", widths.Select((width, c) => c is 0 or 2 or 9 ? ":" + new string('-', width + 1) : new string('-', width + 1) + ":")) + "|");
        }
    }

    private static string FormatTime(double seconds)
        => seconds >= 1e-3 ? $"{seconds * 1e3:0.00} ms" : $"{seconds * 1e6:0.0} µs";
}
