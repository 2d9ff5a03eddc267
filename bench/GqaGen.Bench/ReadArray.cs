using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Bench;

/// <summary>
/// The memory read decode rows are compared with: a plain vector sum (eight independent accumulators) of a large
/// 64-byte-aligned float array, on one thread or split into equal contiguous parts (the last takes the remainder), one
/// per thread of a <see cref="ComputePool"/>. <see cref="MemoryBandwidthBenchmarks"/> times it; <c>decode-alternated</c>
/// runs it between its decode rows.
/// </summary>
internal sealed unsafe class ReadArray : IDisposable
{
    private float* _data;
    private readonly nuint _count;

    // The partial sums of a split read and the delegate that fills them, made once so that a read allocates nothing.
    private readonly float[] _partialSums = new float[Environment.ProcessorCount * 4];
    private readonly Action<int, int> _sumParts;
    private int _parts;

    /// <summary>Allocates <paramref name="bytes"/> bytes (rounded down to whole 512-byte steps) and writes every page once
    /// (never-written pages would read the shared zero page).</summary>
    public ReadArray(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        _count = (nuint)(bytes / sizeof(float)) / 128 * 128;
        _data = (float*)NativeMemory.AlignedAlloc(_count * sizeof(float), 64);
        for (nuint i = 0; i < _count; i++)
            _data[i] = (i & 7) * 0.125f;
        _sumParts = SumParts;
    }

    /// <summary>Bytes one <see cref="Read"/> reads.</summary>
    public long Bytes => (long)_count * sizeof(float);

    /// <summary>Reads the whole array once, on the caller alone (no pool) or split over <paramref name="pool"/>'s threads.</summary>
    public float Read(ComputePool? pool)
    {
        if (pool is null || pool.Threads == 1)
            return Sum(_data, _count);
        _parts = pool.Threads;
        pool.For(_parts, _sumParts);
        float sum = 0;
        for (int i = 0; i < _parts; i++)
            sum += _partialSums[i];
        return sum;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }

    /// <summary>Parts [start, end) of <see cref="_parts"/> equal parts (the last takes the remainder), one partial sum each.</summary>
    private void SumParts(int start, int end)
    {
        nuint chunk = _count / (nuint)_parts / 128 * 128;
        for (int i = start; i < end; i++)
        {
            nuint first = (nuint)i * chunk;
            _partialSums[i] = Sum(_data + first, i == _parts - 1 ? _count - first : chunk);
        }
    }

    private static float Sum(float* p, nuint count) => Vector512.IsHardwareAccelerated ? Sum512(p, count) : Sum256(p, count);

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
