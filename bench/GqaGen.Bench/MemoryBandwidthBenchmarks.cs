using BenchmarkDotNet.Attributes;

namespace GqaGen.Bench;

/// <summary>
/// This machine's memory read bandwidth at 1 and 2 threads, measured in the same suite as the kernels: the sum of a
/// float array with a plain vector loop (eight independent accumulators), reported in the same "KV GB/s" column, and
/// the reference the "% of read BW" column (<see cref="ReadBandwidthShareColumn"/>) divides decode rows by.
/// </summary>
/// <remarks>
/// <para>1 GiB is far larger than any cache, so it gives the DRAM streaming rate a decode step can hope for;
/// 268,435,456 bytes is the K+V size the 32768-position Llama-3-8B decode benchmark reads.
/// The array is 64-byte aligned native memory, written once in <see cref="Setup"/> so that every page is really
/// mapped (reading never-written pages would hit the shared zero page).</para>
/// <para>With <see cref="Threads"/> = 2 the array is split into two contiguous halves summed at once by the caller and
/// one <see cref="ComputePool"/> worker (the pool the decoder's matrix products use; its worker spins between calls, so
/// waking it costs microseconds against the tens of milliseconds of a 1 GiB read). The read is <see cref="ReadArray"/>,
/// which <c>decode-alternated</c> runs too.</para>
/// </remarks>
[MemoryDiagnoser]
public class MemoryBandwidthBenchmarks
{
    private ReadArray? _array;
    private ComputePool? _pool;

    [Params(1L << 30, 268_435_456L)]
    public long Bytes { get; set; }

    /// <summary>Threads reading at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _array = new ReadArray(Bytes);
        _pool = new ComputePool(Threads);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool?.Dispose();
        _pool = null;
        _array?.Dispose();
        _array = null;
    }

    [Benchmark(Description = "Sum (read)")]
    public float Sum() => _array!.Read(_pool);
}
