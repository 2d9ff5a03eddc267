using BenchmarkDotNet.Attributes;

namespace GqaGen.Bench;

/// <summary>
/// One decode step of one Llama-3-8B layer (32 query heads, 8 K/V heads, d = 128) over <see cref="Context"/> cached
/// positions: the generic kernel (shape as a run-time argument) against the kernel generated for the layout.
/// </summary>
/// <remarks>
/// K and V are random, written once per process in <see cref="Setup"/>; the cache has exactly <see cref="Context"/>
/// positions, so every call reads the whole layer, 2 · 8 · 128 · Context · 4 bytes ("KV GB/s").
/// At 512 positions K+V is 4 MiB (cache-resident); at 32768 it is 256 MiB (streamed from DRAM).
/// </remarks>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private readonly DecodeState _state = new();

    [Params(512, 4096, 32768)]
    public int Context { get; set; }

    [GlobalSetup]
    public void Setup() => _state.Setup(Context);

    [GlobalCleanup]
    public void Cleanup() => _state.Dispose();

    [Benchmark(Baseline = true, Description = "Generic")]
    public void Generic() => _state.Generic();

    [Benchmark(Description = "Generated")]
    public void Generated() => _state.Generated();
}

/// <summary>
/// The naive reference (<see cref="GqaReference"/>: double precision, K and V rows copied out per head, two passes)
/// against the generic kernel, at 512 positions only.
/// </summary>
/// <remarks>
/// The reference is a correctness oracle, not a kernel: at 32768 positions one call takes seconds and allocates
/// hundreds of megabytes, so it is measured only at the smallest context. The generic kernel is measured again here
/// so that the ratio column compares the two on the same process and data.
/// </remarks>
[MemoryDiagnoser]
public class ReferenceDecodeBenchmarks
{
    private readonly DecodeState _state = new();

    [Params(512)]
    public int Context { get; set; }

    [GlobalSetup]
    public void Setup() => _state.Setup(Context);

    [GlobalCleanup]
    public void Cleanup() => _state.Dispose();

    [Benchmark(Baseline = true, Description = "Generic")]
    public void Generic() => _state.Generic();

    [Benchmark(Description = "Reference (naive, fp64, 512 only)")]
    public void Reference() => _state.Reference();
}

/// <summary>The cache, query and output buffers of a decode benchmark, and the three kernels called on them.</summary>
internal sealed class DecodeState : IDisposable
{
    private KvCache? _cache;
    private float[] _query = [];
    private float[] _output = [];
    private float[] _logSumExp = [];
    private KvRange _positions;

    public void Setup(int context)
    {
        var random = new Random(20250101 + context);
        _cache = new KvCache(Llama3_8B.Shape, layers: 1, capacity: context);
        Fill(random, _cache.Keys(0));
        Fill(random, _cache.Values(0));
        _query = new float[Llama3_8B.Heads * Llama3_8B.HeadDim];
        Fill(random, _query);
        _output = new float[_query.Length];
        _logSumExp = new float[Llama3_8B.Heads];
        _positions = KvRange.FromLength(context);
    }

    public void Generic() => GenericGqaKernel.Decode(Llama3_8B.Shape, _query, _cache!, 0, _positions, _output, _logSumExp);

    public void Generated() => Llama3_8B.Decode(_query, _cache!, 0, _positions, _output, _logSumExp);

    public void Reference() => GqaReference.Decode(Llama3_8B.Shape, _query, _cache!, 0, _positions, _output, _logSumExp);

    public void Dispose()
    {
        _cache?.Dispose();
        _cache = null;
    }

    /// <summary>Uniform values in [-1, 1).</summary>
    internal static void Fill(Random random, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = random.NextSingle() * 2f - 1f;
    }
}
