using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GqaGen.Bench;

/// <summary>
/// "% of read BW": a row's "KV GB/s" (<see cref="BandwidthColumn"/>) as a share of this run's 1 GiB read bandwidth
/// (<see cref="MemoryBandwidthBenchmarks"/>) at the same thread count: the row's <c>Threads</c> parameter, 1 without one.
/// </summary>
/// <remarks>
/// The bandwidth rows are looked up in the summary being printed, which holds them when the run is joined
/// (<c>--join</c>, as docs/benchmarks.md runs it). Bandwidth rows seen in an earlier summary of the same process are
/// remembered, so an unjoined run that measures bandwidth first also fills the column; otherwise it shows "-".
/// </remarks>
public sealed class ReadBandwidthShareColumn : IColumn
{
    /// <summary>The array size whose read rate is the reference: 1 GiB, far beyond any cache.</summary>
    public const long ReferenceBytes = 1L << 30;

    /// <summary>Read bandwidth by thread count, from every summary this process has printed.</summary>
    private static readonly ConcurrentDictionary<int, double> s_seen = new();

    public string Id => nameof(ReadBandwidthShareColumn);
    public string ColumnName => "% of read BW";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "KV GB/s / the same run's 1 GiB read bandwidth (MemoryBandwidthBenchmarks) at the row's thread count";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.Type == typeof(MemoryBandwidthBenchmarks))
            return "-";
        double? rate = BandwidthColumn.GigabytesPerSecond(summary, benchmarkCase);
        int threads = benchmarkCase.Parameters["Threads"] is { } t ? Convert.ToInt32(t) : 1;
        if (rate is null || ReadBandwidth(summary, threads) is not { } bandwidth)
            return "-";
        return (100 * rate.Value / bandwidth).ToString("N0", style.CultureInfo) + " %";
    }

    /// <summary>The 1 GiB read bandwidth at <paramref name="threads"/> threads in <paramref name="summary"/>, or remembered from an earlier one.</summary>
    internal static double? ReadBandwidth(Summary summary, int threads)
    {
        foreach (BenchmarkCase candidate in summary.BenchmarksCases)
        {
            if (candidate.Descriptor.Type != typeof(MemoryBandwidthBenchmarks)
                || candidate.Parameters["Bytes"] is not { } bytes || Convert.ToInt64(bytes) != ReferenceBytes
                || BandwidthColumn.GigabytesPerSecond(summary, candidate) is not { } rate)
                continue;
            int candidateThreads = candidate.Parameters["Threads"] is { } t ? Convert.ToInt32(t) : 1;
            s_seen[candidateThreads] = rate;
        }
        return s_seen.TryGetValue(threads, out double seen) ? seen : null;
    }

    public override string ToString() => ColumnName;
}
