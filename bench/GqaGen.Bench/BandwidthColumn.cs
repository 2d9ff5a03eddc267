using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GqaGen.Bench;

/// <summary>
/// "KV GB/s": bytes read per operation divided by the mean time (GB = 10⁹ bytes).
/// </summary>
/// <remarks>
/// Bytes per operation come from the benchmark's parameters:
/// <list type="bullet">
/// <item>a <c>Context</c> parameter (decode benchmarks): the K and V rows one decode step reads,
/// 2 · KvGroups · Context · row bytes, for the <c>Layout</c> parameter's shape (<see cref="Llama3_8B"/> without one)
/// and the <c>Kv</c> parameter's storage type (float32 without one: 4 · HeadDim bytes per row);</item>
/// <item>a <c>Bytes</c> parameter (memory bandwidth benchmarks): the size of the array summed.</item>
/// </list>
/// Other benchmarks show "-".
/// </remarks>
public sealed class BandwidthColumn : IColumn
{
    /// <summary>Bytes of K plus V one decode step over <paramref name="context"/> positions of one Llama-3-8B layer reads.</summary>
    public static long KvBytes(int context) => 2L * Llama3_8B.KvGroups * Llama3_8B.HeadDim * context * sizeof(float);

    public string Id => nameof(BandwidthColumn);
    public string ColumnName => "KV GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Bytes read per operation (decode: K+V = 2·G·Context·row bytes of the KV type; memory: the array) / mean time, in 10^9 bytes per second";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gigabytesPerSecond = GigabytesPerSecond(summary, benchmarkCase);
        return gigabytesPerSecond is null ? "-" : gigabytesPerSecond.Value.ToString("N2", style.CultureInfo);
    }

    /// <summary>Bytes per operation / mean time in 10⁹ bytes per second, or null when the case has no byte count or no result.</summary>
    internal static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        long? bytes = BytesPerOperation(benchmarkCase);
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        // bytes per nanosecond = 10^9 bytes per second.
        return bytes is null || meanNs is not > 0 ? null : bytes.Value / meanNs.Value;
    }

    private static long? BytesPerOperation(BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Parameters["Bytes"] is { } bytes)
            return Convert.ToInt64(bytes);
        if (benchmarkCase.Parameters["Context"] is not { } context)
            return null;
        GqaShape shape = benchmarkCase.Parameters["Layout"] is BenchLayout layout ? BenchLayouts.Shape(layout) : Llama3_8B.Shape;
        KvElementType type = benchmarkCase.Parameters["Kv"] is KvElementType kv ? kv : KvElementType.Float32;
        return 2L * shape.KvGroups * Convert.ToInt32(context) * type.RowBytes(shape.HeadDim);
    }

    public override string ToString() => ColumnName;
}
