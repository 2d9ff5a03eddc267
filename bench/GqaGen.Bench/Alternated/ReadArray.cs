using System.Runtime.InteropServices;

namespace GqaGen.Bench.Alternated;

/// <summary>
/// The memory read every decode row is compared with: a plain vector sum of a large 64-byte-aligned float array
/// (<see cref="MemoryBandwidthBenchmarks"/>' loop), on one thread or split into equal contiguous parts over a
/// <see cref="ComputePool"/>, as that benchmark reads it.
/// </summary>
internal sealed unsafe class ReadArray : IDisposable
{
    private float* _data;
    private readonly nuint _count;

    /// <summary>Allocates <paramref name="bytes"/> bytes and writes every page once (never-written pages would read the
    /// shared zero page).</summary>
    public ReadArray(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        _count = (nuint)(bytes / sizeof(float)) / 128 * 128;
        _data = (float*)NativeMemory.AlignedAlloc(_count * sizeof(float), 64);
        for (nuint i = 0; i < _count; i++)
            _data[i] = (i & 7) * 0.125f;
    }

    /// <summary>Bytes one <see cref="Read"/> reads.</summary>
    public long Bytes => (long)_count * sizeof(float);

    /// <summary>Reads the whole array once, on the caller alone (no pool) or split over <paramref name="pool"/>'s threads.</summary>
    public float Read(ComputePool? pool)
    {
        if (pool is null || pool.Threads == 1)
            return MemoryBandwidthBenchmarks.Sum(_data, _count);
        int parts = pool.Threads;
        nuint chunk = _count / (nuint)parts / 128 * 128;
        var partial = new float[parts];
        pool.For(parts, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                nuint first = (nuint)i * chunk;
                partial[i] = MemoryBandwidthBenchmarks.Sum(_data + first, i == parts - 1 ? _count - first : chunk);
            }
        });
        return partial.Sum();
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
