using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GqaGen.Bench;

/// <summary>
/// Prefill attention of one layer: <see cref="Tokens"/> prompt tokens attending causally over <see cref="Cached"/>
/// positions already in the cache and over each other, fp32 K/V. The tiled prefill, generated for the layout and generic,
/// against today's prompt pass, one decode call per token (the baseline), on 1 and 2 threads.
/// </summary>
/// <remarks>
/// <para>"GFLOP/s" counts the multiply-adds of Q·Kᵀ and P·V only: query i attends to Cached + i + 1 positions, each
/// costing 2·d flops for its score and 2·d for its share of the output, per head, so one call is
/// 4 · H · d · Σᵢ (Cached + i + 1) = 4 · H · d · Tokens · (Cached + (Tokens + 1) / 2) flops (softmax not counted).</para>
/// <para>The cache holds exactly Cached + Tokens positions of random K and V, written once per process; prefill only
/// reads it, so every call does the same work.</para>
/// </remarks>
public class PrefillBenchmarks : PrefillBenchmarkBase
{
    [Params(BenchLayout.Llama3_8B, BenchLayout.TinyLlama)]
    public BenchLayout Layout { get; set; }

    [Params(512, 2048)]
    public int Tokens { get; set; }

    [Params(0, 4096)]
    public int Cached { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => State.Setup(Layout, KvElementType.Float32, Tokens, Cached, Threads);
}

/// <summary>
/// As <see cref="PrefillBenchmarks"/> with float16 K/V, at 512 tokens and one thread only: the same kernels widening
/// half-precision rows in registers.
/// </summary>
public class PrefillFloat16Benchmarks : PrefillBenchmarkBase
{
    [Params(BenchLayout.Llama3_8B, BenchLayout.TinyLlama)]
    public BenchLayout Layout { get; set; }

    [Params(512)]
    public int Tokens { get; set; }

    [Params(0, 4096)]
    public int Cached { get; set; }

    [Params(KvElementType.Float16)]
    public KvElementType Kv { get; set; }

    [GlobalSetup]
    public void Setup() => State.Setup(Layout, Kv, Tokens, Cached, threads: 1);
}

/// <summary>The three ways every prefill benchmark runs its block, on the state its <c>[GlobalSetup]</c> built.</summary>
[MemoryDiagnoser]
[Config(typeof(PrefillColumns))]
public abstract class PrefillBenchmarkBase
{
    private protected PrefillState State { get; } = new();

    [GlobalCleanup]
    public void Cleanup() => State.Dispose();

    [Benchmark(Baseline = true, Description = "Decode per token")]
    public void DecodePerToken() => State.DecodePerToken();

    [Benchmark(Description = "Prefill generic")]
    public void Generic() => State.Prefill(State.GenericKernel);

    [Benchmark(Description = "Prefill generated")]
    public void Generated() => State.Prefill(State.GeneratedKernel);
}

/// <summary>The cache, queries, outputs and pool of a prefill benchmark, and the ways of running it.</summary>
internal sealed class PrefillState : IDisposable
{
    private KvCache? _cache;
    private ComputePool? _pool;
    private float[] _queries = [];
    private float[] _output = [];
    private int _tokens, _cached;

    public GqaAttention GeneratedKernel { get; private set; } = null!;

    public GqaAttention GenericKernel { get; private set; } = null!;

    public void Setup(BenchLayout layout, KvElementType type, int tokens, int cached, int threads)
    {
        GqaShape shape = BenchLayouts.Shape(layout);
        GeneratedKernel = BenchLayouts.Generated(layout);
        GenericKernel = GqaAttention.Generic(shape);
        _tokens = tokens;
        _cached = cached;
        var random = new Random(20261204 + tokens + cached);
        _cache = new KvCache(shape, layers: 1, capacity: cached + tokens, type);
        var key = new float[shape.KvLength];
        var value = new float[shape.KvLength];
        for (int p = 0; p < cached + tokens; p++)
        {
            DecodeState.Fill(random, key);
            DecodeState.Fill(random, value);
            _cache.Write(0, p, key, value);
        }
        _queries = new float[tokens * shape.QueryLength];
        DecodeState.Fill(random, _queries);
        _output = new float[_queries.Length];
        _pool = threads > 1 ? new ComputePool(threads) : null;
    }

    /// <summary>The tiled prefill of the whole block.</summary>
    public void Prefill(GqaAttention kernel) => kernel.Prefill(_queries, _cache!, 0, _cached, _tokens, _output, _pool);

    /// <summary>Today's prompt pass: the generated decode once per token over its causal range (split over the pool's
    /// threads where the range is long enough).</summary>
    public void DecodePerToken()
    {
        int length = GeneratedKernel.Shape.QueryLength;
        for (int i = 0; i < _tokens; i++)
        {
            GeneratedKernel.Decode(_queries.AsSpan(i * length, length), _cache!, 0, new KvRange(0, _cached + i + 1),
                _output.AsSpan(i * length, length), default, _pool);
        }
    }

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
        _pool?.Dispose();
        _pool = null;
    }
}

/// <summary>Adds the prefill benchmarks' "GFLOP/s" column.</summary>
internal sealed class PrefillColumns : ManualConfig
{
    public PrefillColumns() => AddColumn(new PrefillGflopsColumn());
}

/// <summary>"GFLOP/s": 4 · H · d · Tokens · (Cached + (Tokens + 1) / 2) flops per call (see <see cref="PrefillBenchmarks"/>) / mean time.</summary>
public sealed class PrefillGflopsColumn : IColumn
{
    /// <summary>The multiply-add flops of one prefill call: 4 · H · d · tokens · (cached + (tokens + 1) / 2).</summary>
    public static double Flops(GqaShape shape, int tokens, int cached) => 4.0 * shape.Heads * shape.HeadDim * tokens * (cached + (tokens + 1) / 2.0);

    public string Id => nameof(PrefillGflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "4·H·d·Tokens·(Cached + (Tokens+1)/2) flops (Q·Kᵀ and P·V multiply-adds) / mean time, in 10^9 per second";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (meanNs is not > 0 || benchmarkCase.Parameters["Layout"] is not BenchLayout layout
            || benchmarkCase.Parameters["Tokens"] is not int tokens || benchmarkCase.Parameters["Cached"] is not int cached)
            return "-";
        // flops per nanosecond = 10^9 flops per second.
        return (Flops(BenchLayouts.Shape(layout), tokens, cached) / meanNs.Value).ToString("N1", style.CultureInfo);
    }
}
