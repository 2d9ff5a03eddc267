using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Parallel;

/// <summary>
/// A split decode allocates nothing per call, on any thread: after warm-up (which allocates each thread's partials and
/// the kernels' per-thread scratch once), the managed bytes allocated by the calling thread over 100 calls, and by each
/// thread between the starts of two consecutive chunks it runs (its kernel call, the split's bookkeeping and the pool's
/// hand-over), are zero.
/// </summary>
public sealed class SplitKvAllocationTests
{
    private const int WarmUpCalls = 5;
    private const int MeasuredCalls = 100;

    /// <summary>Far longer than a worker's idle spin (<see cref="ComputePool.DefaultSpinMicroseconds"/>).</summary>
    private static readonly TimeSpan BlockPause = TimeSpan.FromMilliseconds(20);

    /// <summary>This thread's <see cref="GC.GetAllocatedBytesForCurrentThread"/> when it last started a chunk.</summary>
    [ThreadStatic]
    private static long t_allocatedAtLastChunk;

    [Theory]
    [InlineData(nameof(Llama3_8B), EntryPoints.Generated, 2, true)]
    [InlineData(nameof(Llama3_8B), EntryPoints.Generic, 4, false)]
    [InlineData(nameof(Falcon7B), EntryPoints.Generated, 3, false)]
    [InlineData(nameof(Heads2Groups1Dim17), EntryPoints.Generic, 2, true)]
    public void Repeated_split_decodes_allocate_nothing_on_the_caller_or_the_workers(string layoutName, string decoder, int threads, bool withLogSumExp)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        GqaAttention kernel = SplitBindings.For(decoder, layout);
        using DecodeScenario scenario = DecodeScenario.Create(shape, 5000, InputVariant.Uniform, kernel.AppendKv,
            CaseSeed.For(nameof(SplitKvAllocationTests), layoutName, decoder, threads));
        int chunks = SplitKvDecode.ChunkCount(threads, scenario.Positions.Length, scenario.Cache.RowBytes);
        Assert.True(chunks == threads, $"The case must split over every thread; {scenario.Positions.Length} positions give {chunks} chunk(s) on {threads}.");

        bool measuring = false;
        long chunkThreadBytes = 0;
        int measuredChunks = 0;
        var attention = new ObservedAttention(kernel, _ =>
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            if (Volatile.Read(ref measuring))
            {
                Interlocked.Add(ref chunkThreadBytes, now - t_allocatedAtLastChunk);
                Interlocked.Increment(ref measuredChunks);
            }
            t_allocatedAtLastChunk = now;
        });
        using var pool = new ComputePool(threads);
        var output = new float[shape.QueryLength];
        float[] logSumExp = withLogSumExp ? new float[shape.Heads] : [];

        for (int call = 0; call < WarmUpCalls; call++)
        {
            attention.Decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output, logSumExp, pool);
            // Let every worker stop spinning and block once: the first block creates the 24-byte lock object of its
            // ManualResetEventSlim, once per pool thread for the pool's life (not per call).
            Thread.Sleep(BlockPause);
        }
        Volatile.Write(ref measuring, true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int call = 0; call < MeasuredCalls; call++)
            attention.Decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output, logSumExp, pool);
        long callerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Volatile.Write(ref measuring, false);

        Assert.Equal(MeasuredCalls * chunks, measuredChunks);
        Assert.True(callerBytes == 0, $"The calling thread allocated {callerBytes} bytes over {MeasuredCalls} split decodes.");
        Assert.True(chunkThreadBytes == 0, $"The threads running chunks allocated {chunkThreadBytes} bytes over {MeasuredCalls} split decodes.");
        AttentionAssert.AssertFinite(output, "output", shape.HeadDim, "the last measured call");
    }
}
