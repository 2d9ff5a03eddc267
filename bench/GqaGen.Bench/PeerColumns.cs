using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using GqaGen.Bench.Peers;

namespace GqaGen.Bench;

/// <summary>The peer benchmarks' own columns: "Gate" and "ORT ÷ row".</summary>
internal sealed class PeerColumnsConfig : ManualConfig
{
    public PeerColumnsConfig() => AddColumn(new GateColumn(), new VersusOnnxRuntimeColumn());
}

/// <summary>
/// "Gate": what the row's correctness gate found in its benchmark process (<see cref="PeerCase"/>): "ok" and the worst
/// head's error against the reference, "unsupported: …" or "FAILED: …" (and then the row was not timed).
/// </summary>
internal sealed class GateColumn : IColumn
{
    public string Id => nameof(GateColumn);
    public string ColumnName => "Gate";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 2;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Output checked against GqaReference before timing: ok (worst head's normwise relative error, limit), unsupported, or FAILED (not timed)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => GateLog.Read(KeyOf(benchmarkCase)) is { } outcome ? Shorten(outcome) : "-";

    /// <summary>Most characters a cell shows; the whole message is in the benchmark log.</summary>
    internal const int MaxCellLength = 72;

    /// <summary>The outcome, cut to <see cref="MaxCellLength"/> characters.</summary>
    internal static string Shorten(string outcome)
        => outcome.Length <= MaxCellLength ? outcome : outcome[..(MaxCellLength - 1)] + "…";

    /// <summary>The <see cref="GateLog"/> key of a case: the same one <see cref="PeerCase.Create"/> records under.</summary>
    internal static string KeyOf(BenchmarkCase benchmarkCase)
        => GateLog.Key(benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name,
            benchmarkCase.Parameters.Items.Select(p => new KeyValuePair<string, string>(p.Name, Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "")));

    public override string ToString() => ColumnName;
}

/// <summary>
/// "ORT ÷ row": the ONNX Runtime row's mean time divided by this row's, for the same layout, context, threads and KV
/// type: how many times faster than ONNX Runtime's GroupQueryAttention this row is (the ONNX Runtime row shows 1.00).
/// </summary>
internal sealed class VersusOnnxRuntimeColumn : IColumn
{
    public string Id => nameof(VersusOnnxRuntimeColumn);
    public string ColumnName => "ORT ÷ row";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 3;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Mean of the ONNX Runtime GQA row with the same parameters / this row's mean (speed-up over ONNX Runtime)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        BenchmarkCase? onnxRuntime = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type
            && c.Descriptor.WorkloadMethod.Name == nameof(PeerDecodeBenchmarks.OnnxRuntime)
            && c.Parameters.Items.Select(p => p.Value).SequenceEqual(benchmarkCase.Parameters.Items.Select(p => p.Value)));
        double? onnxRuntimeMean = onnxRuntime is null ? null : summary[onnxRuntime]?.ResultStatistics?.Mean;
        return mean is > 0 && onnxRuntimeMean is > 0 ? (onnxRuntimeMean.Value / mean.Value).ToString("N2", style.CultureInfo) : "-";
    }

    public override string ToString() => ColumnName;
}
