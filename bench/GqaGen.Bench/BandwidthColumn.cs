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
/// 2 · KvGroups · HeadDim · Context · 4 bytes for <see cref="Llama3_8B"/>;</item>
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
    public string Legend => "Bytes read per operation (decode: K+V = 2·G·d·Context·4; memory: the array) / mean time, in 10^9 bytes per second";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        long? bytes = BytesPerOperation(benchmarkCase);
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (bytes is null || meanNs is not > 0)
            return "-";
        // bytes per nanosecond = 10^9 bytes per second.
        return (bytes.Value / meanNs.Value).ToString("N2", style.CultureInfo);
    }

    private static long? BytesPerOperation(BenchmarkCase benchmarkCase)
    {
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            switch (parameter.Name)
            {
                case "Context":
                    return KvBytes(Convert.ToInt32(parameter.Value));
                case "Bytes":
                    return Convert.ToInt64(parameter.Value);
            }
        }
        return null;
    }

    public override string ToString() => ColumnName;
}
