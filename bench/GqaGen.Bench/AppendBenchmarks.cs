using BenchmarkDotNet.Attributes;

namespace GqaGen.Bench;

/// <summary>
/// Writing one token's K and V (8 groups × 128 floats each, 8 KiB in all) into a Llama-3-8B layer: the generic
/// append against the generated one. Every call writes the same position of a 4096-position cache.
/// </summary>
[MemoryDiagnoser]
public class AppendBenchmarks
{
    private const int Capacity = 4096;
    private const int Position = 1234;

    private KvCache? _cache;
    private float[] _key = [];
    private float[] _value = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _cache = new KvCache(Llama3_8B.Shape, layers: 1, capacity: Capacity);
        _key = new float[Llama3_8B.KvGroups * Llama3_8B.HeadDim];
        _value = new float[_key.Length];
        DecodeState.Fill(random, _key);
        DecodeState.Fill(random, _value);
    }

    [GlobalCleanup]
    public void Cleanup() => _cache?.Dispose();

    [Benchmark(Baseline = true, Description = "Generic")]
    public void Generic() => GenericGqaKernel.AppendKv(Llama3_8B.Shape, _cache!, 0, Position, _key, _value);

    [Benchmark(Description = "Generated")]
    public void Generated() => Llama3_8B.AppendKv(_cache!, 0, Position, _key, _value);
}
