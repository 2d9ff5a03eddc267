using BenchmarkDotNet.Attributes;
using GqaGen.Bench.Peers;

namespace GqaGen.Bench;

/// <summary>
/// One decode step of one layer over <see cref="Context"/> cached positions, GqaGen against its peers at equal thread
/// count and KV precision: GqaGen's generic kernel (the baseline) and generated kernel, ONNX Runtime's CPU
/// GroupQueryAttention operator (<see cref="OrtGroupQueryAttention"/>) and a TensorPrimitives kernel
/// (<see cref="TensorPrimitivesAttention"/>).
/// </summary>
/// <remarks>
/// <para>Every row's output is checked against <see cref="GqaReference"/> on the benchmark's own inputs before it is
/// timed (<see cref="PeerGate"/>); a row that fails, or that its implementation cannot run (GqaGen's kernels on a
/// half-precision cache or on 2 threads, until that work lands), is reported as failed (NA) with the reason in the
/// "Gate" column, and the rest of the run goes on.</para>
/// <para>Each process sets up only its own row (per-method <c>[GlobalSetup]</c>), so a 32,768-position Llama-3-8B case
/// holds the 256 MiB cache once, plus ONNX Runtime's copy in its row.</para>
/// <para>Run it with the read-bandwidth benchmark in one joined summary, so that "% of read BW" compares each row with
/// the same run's bandwidth at its thread count: see docs/benchmarks.md.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(PeerColumnsConfig))]
public class PeerDecodeBenchmarks
{
    private PeerCase? _case;

    /// <summary>The layer's layout.</summary>
    [Params(BenchLayout.Llama3_8B, BenchLayout.TinyLlama)]
    public BenchLayout Layout { get; set; }

    /// <summary>Cached positions, all attended.</summary>
    [Params(4096, 32768)]
    public int Context { get; set; }

    /// <summary>Threads one decode step may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>How K and V are stored (for ONNX Runtime: the element type of all its tensors).</summary>
    [Params(KvElementType.Float32, KvElementType.Float16)]
    public KvElementType Kv { get; set; }

    [GlobalSetup(Target = nameof(Generic))]
    public void SetupGeneric() => Setup(nameof(Generic), inputs => new GqaGenPeer(GqaAttention.Generic(inputs.Shape), inputs, Threads));

    [GlobalSetup(Target = nameof(Generated))]
    public void SetupGenerated() => Setup(nameof(Generated), inputs => new GqaGenPeer(BenchLayouts.Generated(Layout), inputs, Threads));

    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime() => Setup(nameof(OnnxRuntime), inputs => new OrtGroupQueryAttention(inputs, Threads));

    [GlobalSetup(Target = nameof(TensorPrimitives))]
    public void SetupTensorPrimitives() => Setup(nameof(TensorPrimitives), inputs => new TensorPrimitivesAttention(inputs, Threads));

    [GlobalCleanup]
    public void Cleanup()
    {
        _case?.Dispose();
        _case = null;
    }

    [Benchmark(Baseline = true, Description = "GqaGen generic")]
    public void Generic() => _case!.Peer.Decode();

    [Benchmark(Description = "GqaGen generated")]
    public void Generated() => _case!.Peer.Decode();

    [Benchmark(Description = "ONNX Runtime GQA")]
    public void OnnxRuntime() => _case!.Peer.Decode();

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives() => _case!.Peer.Decode();

    private void Setup(string method, Func<DecodeInputs, IDecodePeer> createPeer)
        => _case = PeerCase.Create(nameof(PeerDecodeBenchmarks), method, Layout, Context, Threads, Kv, createPeer);
}

/// <summary>
/// GqaGen's kernels on the storage types no peer here has (bfloat16 and llama.cpp's q8_0 blocks), with the same
/// layouts, contexts, threads and gate as <see cref="PeerDecodeBenchmarks"/>. Until the kernels read these types, every
/// row is reported as unsupported (NA, reason in "Gate").
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeerColumnsConfig))]
public class StorageDecodeBenchmarks
{
    private PeerCase? _case;

    /// <summary>The layer's layout.</summary>
    [Params(BenchLayout.Llama3_8B, BenchLayout.TinyLlama)]
    public BenchLayout Layout { get; set; }

    /// <summary>Cached positions, all attended.</summary>
    [Params(4096, 32768)]
    public int Context { get; set; }

    /// <summary>Threads one decode step may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>How K and V are stored.</summary>
    [Params(KvElementType.BFloat16, KvElementType.Q8_0)]
    public KvElementType Kv { get; set; }

    [GlobalSetup(Target = nameof(Generic))]
    public void SetupGeneric() => Setup(nameof(Generic), inputs => new GqaGenPeer(GqaAttention.Generic(inputs.Shape), inputs, Threads));

    [GlobalSetup(Target = nameof(Generated))]
    public void SetupGenerated() => Setup(nameof(Generated), inputs => new GqaGenPeer(BenchLayouts.Generated(Layout), inputs, Threads));

    [GlobalCleanup]
    public void Cleanup()
    {
        _case?.Dispose();
        _case = null;
    }

    [Benchmark(Baseline = true, Description = "GqaGen generic")]
    public void Generic() => _case!.Peer.Decode();

    [Benchmark(Description = "GqaGen generated")]
    public void Generated() => _case!.Peer.Decode();

    private void Setup(string method, Func<DecodeInputs, IDecodePeer> createPeer)
        => _case = PeerCase.Create(nameof(StorageDecodeBenchmarks), method, Layout, Context, Threads, Kv, createPeer);
}
