using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Bench;

/// <summary>
/// The prompt pass's batched weight products,
/// <see cref="WeightMatrix.MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/>, on TinyLlama-shaped
/// matrices per storage type, on one and two threads, in GFLOP/s (2 · rows · columns · tokens / mean time) and as a
/// share of the fp32 FMA peak of the threads used.
/// </summary>
/// <remarks>
/// <para>Shapes are rows × columns from TinyLlama-1.1B (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json: hidden 2048,
/// intermediate 5632): <c>5632x2048</c> is <c>ffn_gate</c>/<c>ffn_up</c>, <c>2048x5632</c> <c>ffn_down</c>.</para>
/// <para>The peak: run joined with <see cref="FmaPeakBenchmarks"/>
/// (<c>--filter *MatMulBenchmarks* *FmaPeakBenchmarks* --join</c>) and the "% of peak" column divides by that
/// benchmark's GFLOP/s (a loop of 16 independent Vector512 FMA chains, <see cref="FmaPeak"/>) times the thread count;
/// run alone, the column measures the same loop in the host process with a stopwatch (best of 50) instead. The share
/// compares fastest iterations (BenchmarkDotNet's Min), not means: the development machine's two cores are shared, and a
/// mean there mixes in other processes' work.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(FlopsConfig))]
public class MatMulBenchmarks
{
    private WeightMatrix? _matrix;
    private float[] _x = [];
    private float[] _y = [];
    private ComputePool? _pool;

    /// <summary>The storage type.</summary>
    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    /// <summary>Rows × columns.</summary>
    [Params("5632x2048", "2048x5632")]
    public string Shape { get; set; } = "5632x2048";

    /// <summary>Tokens per product: the decoder's prefill chunk.</summary>
    [Params(64)]
    public int Tokens { get; set; }

    /// <summary>Threads of the compute pool (1: the calling thread only).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (int rows, int columns) = BenchMatrices.ParseShape(Shape);
        var random = new Random(2026);
        byte[] bytes = BenchMatrices.RandomWeights(random, Type, rows, columns);
        _matrix = WeightMatrix.FromArray(Shape, Type, rows, columns, bytes);
        _x = new float[Tokens * columns];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = random.NextSingle() * 2 - 1;
        _y = new float[Tokens * rows];
        _pool = Threads > 1 ? new ComputePool(Threads) : null;
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Description = "MultiplyMatrix")]
    public void MultiplyMatrix() => _matrix!.MultiplyMatrix(_x, Tokens, _y, _pool);

    /// <summary>Floating-point operations of one call.</summary>
    internal static double Flops(string shape, int tokens)
    {
        (int rows, int columns) = BenchMatrices.ParseShape(shape);
        return 2.0 * rows * columns * tokens;
    }

    /// <summary>Adds the "GFLOP/s" and "% of peak" columns.</summary>
    private sealed class FlopsConfig : ManualConfig
    {
        public FlopsConfig() => AddColumn(new FlopsColumn(share: false), new FlopsColumn(share: true));
    }

    /// <summary>"GFLOP/s" of a case (the FMA peak benchmark's too), or "% of peak": GFLOP/s / (threads × the single-core peak).</summary>
    private sealed class FlopsColumn(bool share) : IColumn
    {
        private static double? s_hostPeak;

        public string Id => share ? "PeakShareColumn" : "GflopsColumn";
        public string ColumnName => share ? "% of peak" : "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => share ? 2 : 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => share
            ? "GFLOP/s of the fastest iteration / (threads x the single-core fp32 FMA peak: the FMA peak loop's fastest iteration in this summary, else measured by the host with a stopwatch)"
            : "2 x rows x columns x tokens / mean time (the FMA peak loop: its flops / mean time), in 10^9 per second";

        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? gflops = Gflops(summary, benchmarkCase, best: share);
            if (gflops is null)
                return "-";
            if (!share)
                return gflops.Value.ToString("N1", style.CultureInfo);
            int threads = benchmarkCase.Parameters[nameof(Threads)] is int t ? t : 1;
            return (100 * gflops.Value / (threads * Peak(summary))).ToString("N0", style.CultureInfo);
        }

        /// <summary>GFLOP/s from the mean time, or from the fastest iteration (<paramref name="best"/>): the share of
        /// peak compares best with best, as the machine the suite runs on is shared and a mean mixes in other work.</summary>
        private static double? Gflops(Summary summary, BenchmarkCase benchmarkCase, bool best)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            double? meanNs = best ? statistics?.Min : statistics?.Mean;
            if (meanNs is not > 0)
                return null;
            if (benchmarkCase.Descriptor.Type == typeof(FmaPeakBenchmarks))
                return FmaPeak.FlopsPerRun / meanNs.Value;
            if (benchmarkCase.Parameters[nameof(Shape)] is string shape && benchmarkCase.Parameters[nameof(Tokens)] is int tokens)
                return Flops(shape, tokens) / meanNs.Value;
            return null;
        }

        /// <summary>The single-core peak in GFLOP/s: from the joined FMA peak benchmark, else measured here.</summary>
        private static double Peak(Summary summary)
        {
            foreach (BenchmarkCase peakCase in summary.BenchmarksCases)
            {
                if (peakCase.Descriptor.Type == typeof(FmaPeakBenchmarks) && Gflops(summary, peakCase, best: true) is double measured)
                    return measured;
            }
            return s_hostPeak ??= MeasureHostPeak();
        }

        private static double MeasureHostPeak()
        {
            double best = double.MaxValue;
            for (int i = 0; i < 50; i++)
            {
                long start = Stopwatch.GetTimestamp();
                FmaPeak.Run(1f);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            return FmaPeak.FlopsPerRun / best / 1e9;
        }

        public override string ToString() => ColumnName;
    }
}
