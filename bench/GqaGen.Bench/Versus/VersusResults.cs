using System.Globalization;
using System.Text;

namespace GqaGen.Bench.Versus;

/// <summary>
/// The tokens/s samples of a <c>decoder-versus</c> run, one per program and round for each (thread count, row), and
/// their Markdown tables: the median of each program, and per-round ratios of two programs (median, min, max), taken
/// round by round so that a noisy round moves both sides of a ratio together.
/// </summary>
internal sealed class VersusResults
{
    private readonly List<(int Threads, string Row)> _rows = [];
    private readonly Dictionary<(int Threads, string Row, string Program), List<double>> _samples = [];

    /// <summary>Records one round's tokens/s of <paramref name="program"/> on <paramref name="row"/>.</summary>
    public void Add(int threads, string row, string program, double tokensPerSecond)
    {
        if (!_rows.Contains((threads, row)))
            _rows.Add((threads, row));
        if (!_samples.TryGetValue((threads, row, program), out List<double>? list))
            _samples[(threads, row, program)] = list = [];
        list.Add(tokensPerSecond);
    }

    /// <summary>The samples of one program on one row, in round order (empty if it did not run).</summary>
    public IReadOnlyList<double> Samples(int threads, string row, string program)
        => _samples.TryGetValue((threads, row, program), out List<double>? list) ? list : [];

    /// <summary>
    /// A Markdown table of <paramref name="rowNames"/> (those measured, in measured order): one column of medians per
    /// program of <paramref name="programs"/> that ran on any of them, then one column per ratio
    /// (numerator / denominator per round: median, min–max). A missing sample is a dash.
    /// </summary>
    public string Table(IReadOnlyCollection<string> rowNames, IReadOnlyList<string> programs, IReadOnlyList<(string Numerator, string Denominator)> ratios)
    {
        var rows = _rows.Where(r => rowNames.Contains(r.Row)).ToList();
        var shown = programs.Where(p => rows.Any(r => Samples(r.Threads, r.Row, p).Count > 0)).ToList();
        var shownRatios = ratios.Where(q => shown.Contains(q.Numerator) && shown.Contains(q.Denominator)).ToList();
        var text = new StringBuilder();
        text.Append("| Threads | Row |");
        foreach (string program in shown)
            text.Append(CultureInfo.InvariantCulture, $" {program} tokens/s |");
        foreach ((string numerator, string denominator) in shownRatios)
            text.Append(CultureInfo.InvariantCulture, $" {numerator} / {denominator} |");
        text.AppendLine();
        text.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---:|", shown.Count + shownRatios.Count))).AppendLine();
        foreach ((int threads, string row) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {threads} | {row} |");
            foreach (string program in shown)
            {
                IReadOnlyList<double> samples = Samples(threads, row, program);
                text.Append(samples.Count == 0 ? " – |" : string.Create(CultureInfo.InvariantCulture, $" {Median(samples):N2} |"));
            }
            foreach ((string numerator, string denominator) in shownRatios)
                text.Append(' ').Append(Ratio(Samples(threads, row, numerator), Samples(threads, row, denominator))).Append(" |");
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>"median (min–max)" of the per-round ratios, "median" alone for one round, a dash without samples.</summary>
    internal static string Ratio(IReadOnlyList<double> numerator, IReadOnlyList<double> denominator)
    {
        int rounds = Math.Min(numerator.Count, denominator.Count);
        if (rounds == 0)
            return "–";
        var ratios = Enumerable.Range(0, rounds).Select(i => numerator[i] / denominator[i]).ToList();
        return rounds == 1
            ? string.Create(CultureInfo.InvariantCulture, $"{ratios[0]:N2}×")
            : string.Create(CultureInfo.InvariantCulture, $"{Median(ratios):N2}× ({ratios.Min():N2}–{ratios.Max():N2})");
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            throw new ArgumentException("The median of no values is undefined; measure at least one round.", nameof(values));
        var sorted = values.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
