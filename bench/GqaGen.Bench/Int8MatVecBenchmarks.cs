using BenchmarkDotNet.Attributes;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Bench;

/// <summary>
/// The matrix-vector product of quantized weights (the K-quants and the 32-weight formats) with fp32 activations beside
/// the opt-in integer products with 8-bit activations
/// (<see cref="WeightMatrix.MultiplyVector(Int8Activations, Span{float}, ComputePool?)"/>, quantizing x included, as a
/// decoder does once per input), on one and two threads, against a plain read of the same bytes; the same matrices,
/// copies and "Weights GB/s" column as <see cref="MatVecBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MatVecBenchmarks.WeightBandwidthConfig))]
public class Int8MatVecBenchmarks
{
    private WeightMatrix[] _matrices = [];
    private byte[][] _bytes = [];
    private float[] _x = [];
    private float[] _y = [];
    private Int8Activations? _x8;
    private int _next;
    private ComputePool? _pool;

    /// <summary>The storage type: every one that takes 8-bit activations.</summary>
    [Params(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    /// <summary>Rows × columns (TinyLlama's ffn_down and output head, as in <see cref="MatVecBenchmarks"/>).</summary>
    [Params("2048x5632", "32000x2048")]
    public string Shape { get; set; } = "2048x5632";

    [GlobalSetup]
    public void Setup()
    {
        (int rows, int columns) = BenchMatrices.ParseShape(Shape);
        var random = new Random(2025);
        (_matrices, _bytes) = BenchMatrices.CycledCopies(random, Type, Shape, MatVecBenchmarks.CycledBytes);
        _x = new float[columns];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = random.NextSingle() * 2 - 1;
        _x8 = new Int8Activations(columns, WeightMatrix.Int8BlockElements(Type));
        _y = new float[rows];
        _pool = new ComputePool(2);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    [Benchmark(Baseline = true, Description = "Read the bytes (vector sum)")]
    public uint ReadBytes() => MatVecBenchmarks.SumBytes(_bytes[Next()]);

    [Benchmark(Description = "MultiplyVector f32 x, 1 thread")]
    public void MultiplyVector() => _matrices[Next()].MultiplyVector(_x, _y);

    [Benchmark(Description = "MultiplyVector int8 x, 1 thread")]
    public void MultiplyVectorInt8()
    {
        _x8!.Quantize(_x);
        _matrices[Next()].MultiplyVector(_x8, _y);
    }

    [Benchmark(Description = "Read the bytes, 2 threads")]
    public uint ReadBytesTwoThreads() => MatVecBenchmarks.SumBytesTwoThreads(_bytes[Next()], _pool!);

    [Benchmark(Description = "MultiplyVector f32 x, 2 threads")]
    public void MultiplyVectorTwoThreads() => _matrices[Next()].MultiplyVector(_x, _y, _pool);

    [Benchmark(Description = "MultiplyVector int8 x, 2 threads")]
    public void MultiplyVectorInt8TwoThreads()
    {
        _x8!.Quantize(_x);
        _matrices[Next()].MultiplyVector(_x8, _y, _pool);
    }

    private int Next()
    {
        int i = _next;
        _next = i + 1 == _matrices.Length ? 0 : i + 1;
        return i;
    }
}
