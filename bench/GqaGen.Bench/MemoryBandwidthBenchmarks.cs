using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using GqaGen.Llama;

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
/// waking it costs microseconds against the tens of milliseconds of a 1 GiB read).</para>
/// </remarks>
[MemoryDiagnoser]
public unsafe class MemoryBandwidthBenchmarks
{
    private float* _data;
    private nuint _count;
    private ComputePool? _pool;
    private float[] _partialSums = [];
    private Action<int, int>? _sumChunks;

    [Params(1L << 30, 268_435_456L)]
    public long Bytes { get; set; }

    /// <summary>Threads reading at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _count = (nuint)(Bytes / sizeof(float));
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        for (nuint i = 0; i < _count; i++)
            _data[i] = (i & 7) * 0.125f;
        _pool = new ComputePool(Threads);
        _partialSums = new float[Threads];
        _sumChunks = SumChunks;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool?.Dispose();
        _pool = null;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    [Benchmark(Description = "Sum (read)")]
    public float Sum()
    {
        if (Threads == 1)
            return Sum(_data, _count);
        _pool!.For(Threads, _sumChunks!);
        float sum = 0;
        foreach (float partial in _partialSums)
            sum += partial;
        return sum;
    }

    /// <summary>Chunks [start, end) of <see cref="Threads"/> equal parts (the last takes the remainder), one partial sum each.</summary>
    private void SumChunks(int start, int end)
    {
        nuint chunk = _count / (nuint)Threads / 128 * 128;
        for (int i = start; i < end; i++)
        {
            nuint first = (nuint)i * chunk;
            nuint count = i == Threads - 1 ? _count - first : chunk;
            _partialSums[i] = Sum(_data + first, count);
        }
    }

    /// <summary>The sum of <paramref name="count"/> floats at <paramref name="p"/> (64-byte aligned): a plain vector read of them.</summary>
    internal static float Sum(float* p, nuint count) => Vector512.IsHardwareAccelerated ? Sum512(p, count) : Sum256(p, count);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Sum512(float* p, nuint count)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        const int Step = 8 * 16;
        float* end = p + (count & ~(nuint)(Step - 1));
        for (; p < end; p += Step)
        {
            a0 += Vector512.LoadAligned(p);
            a1 += Vector512.LoadAligned(p + 16);
            a2 += Vector512.LoadAligned(p + 32);
            a3 += Vector512.LoadAligned(p + 48);
            a4 += Vector512.LoadAligned(p + 64);
            a5 += Vector512.LoadAligned(p + 80);
            a6 += Vector512.LoadAligned(p + 96);
            a7 += Vector512.LoadAligned(p + 112);
        }
        float sum = Vector512.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
        for (nuint i = 0; i < (count & (Step - 1)); i++)
            sum += p[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Sum256(float* p, nuint count)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        const int Step = 8 * 8;
        float* end = p + (count & ~(nuint)(Step - 1));
        for (; p < end; p += Step)
        {
            a0 += Vector256.LoadAligned(p);
            a1 += Vector256.LoadAligned(p + 8);
            a2 += Vector256.LoadAligned(p + 16);
            a3 += Vector256.LoadAligned(p + 24);
            a4 += Vector256.LoadAligned(p + 32);
            a5 += Vector256.LoadAligned(p + 40);
            a6 += Vector256.LoadAligned(p + 48);
            a7 += Vector256.LoadAligned(p + 56);
        }
        float sum = Vector256.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
        for (nuint i = 0; i < (count & (Step - 1)); i++)
            sum += p[i];
        return sum;
    }
}
