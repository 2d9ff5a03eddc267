using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace GqaGen.Bench;

/// <summary>
/// This machine's single-core memory read bandwidth, measured in the same suite as the kernels: the sum of a float
/// array with a plain vector loop (eight independent accumulators), reported in the same "KV GB/s" column.
/// </summary>
/// <remarks>
/// 1 GiB is far larger than any cache, so it gives the DRAM streaming rate a decode step can hope for;
/// 268,435,456 bytes is the K+V size the 32768-position Llama-3-8B decode benchmark reads.
/// The array is 64-byte aligned native memory, written once in <see cref="Setup"/> so that every page is really
/// mapped (reading never-written pages would hit the shared zero page).
/// </remarks>
[MemoryDiagnoser]
public unsafe class MemoryBandwidthBenchmarks
{
    private float* _data;
    private nuint _count;

    [Params(1L << 30, 268_435_456L)]
    public long Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _count = (nuint)(Bytes / sizeof(float));
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        for (nuint i = 0; i < _count; i++)
            _data[i] = (i & 7) * 0.125f;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    [Benchmark(Description = "Sum (read)")]
    public float Sum() => Vector512.IsHardwareAccelerated ? Sum512(_data, _count) : Sum256(_data, _count);

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
