namespace GqaGen.Tests.Parallel;

/// <summary><see cref="ComputePool"/>: the split, the threads it runs on, exceptions, nesting and disposal. (That
/// GqaGen.Llama's matrix products give the same bits on any number of threads is tested with them, in
/// GqaGen.Llama.Tests' WeightMatrixThreadingTests.)</summary>
public sealed class ComputePoolTests
{
    /// <summary>A pool call that hangs (a lost wake-up) fails the test instead of hanging the run.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1, 10, 1)]
    [InlineData(2, 1, 1)]
    [InlineData(2, 7, 1)]
    [InlineData(3, 10, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 17, 4)]
    [InlineData(3, 64, 4)]
    [InlineData(4, 5, 4)]
    [InlineData(3, 1000, 7)]
    public void Chunks_cover_every_item_once_on_granularity_boundaries(int threads, int itemCount, int granularity)
    {
        using var pool = new ComputePool(threads);
        var hits = new int[itemCount];
        var chunks = new List<(int Start, int End)>();
        pool.For(itemCount, granularity, (start, end) =>
        {
            lock (chunks)
                chunks.Add((start, end));
            for (int i = start; i < end; i++)
                Interlocked.Increment(ref hits[i]);
        });

        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.True(chunks.Count <= threads, $"{chunks.Count} chunks for {threads} threads.");
        Assert.All(chunks, c => Assert.True(c.Start % granularity == 0 && c.End > c.Start, $"Chunk [{c.Start}, {c.End}) with granularity {granularity}."));
        int units = (itemCount + granularity - 1) / granularity;
        int expectedChunks = (units + (units + threads - 1) / threads - 1) / ((units + threads - 1) / threads);
        Assert.Equal(expectedChunks, chunks.Count);
    }

    [Fact]
    public void Chunks_run_on_the_caller_and_on_distinct_workers()
    {
        using var pool = new ComputePool(3);
        var threadIds = new int[3];
        int caller = Environment.CurrentManagedThreadId;
        pool.For(3, (start, end) => threadIds[start] = Environment.CurrentManagedThreadId);
        Assert.Equal(caller, threadIds[0]);
        Assert.Equal(3, threadIds.Distinct().Count());
    }

    [Fact]
    public void Zero_items_run_nothing()
    {
        using var pool = new ComputePool(2);
        pool.For(0, (_, _) => throw new InvalidOperationException("must not run"));
    }

    [Fact]
    public void A_worker_exception_reaches_the_caller_after_every_chunk_finished()
    {
        using var pool = new ComputePool(3);
        int finished = 0;
        var e = Assert.Throws<InvalidOperationException>(() => pool.For(3, (start, _) =>
        {
            if (start == 2)
                throw new InvalidOperationException("chunk 2 failed");
            Thread.Sleep(50);
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("chunk 2 failed", e.Message);
        Assert.Equal(2, finished);

        // The pool is still usable.
        int ran = 0;
        pool.For(3, (_, _) => Interlocked.Increment(ref ran));
        Assert.Equal(3, ran);
    }

    [Fact]
    public void A_nested_call_runs_inline_instead_of_deadlocking()
    {
        using var pool = new ComputePool(2);
        var inner = new int[2 * 10];
        RunWithDeadline(() => pool.For(2, (outerStart, _) =>
            pool.For(10, (start, end) =>
            {
                for (int i = start; i < end; i++)
                    inner[outerStart * 10 + i]++;
            })));
        Assert.All(inner, h => Assert.Equal(1, h));
    }

    /// <summary>Workers that block at once (no spin) must still be woken for every call: thousands of short calls
    /// with the caller racing the workers' decision to sleep.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Many_short_calls_never_lose_a_wake_up(int spinMicroseconds)
    {
        using var pool = new ComputePool(3, spinMicroseconds);
        long total = 0;
        RunWithDeadline(() =>
        {
            for (int call = 0; call < 5000; call++)
                pool.For(3, (start, end) => Interlocked.Add(ref total, end - start));
        });
        Assert.Equal(3 * 5000, total);
    }

    [Fact]
    public void Dispose_stops_the_workers_and_later_calls_throw()
    {
        var pool = new ComputePool(3);
        pool.For(3, (_, _) => { });
        RunWithDeadline(pool.Dispose);
        pool.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => pool.For(3, (_, _) => { }));
    }

    [Fact]
    public void Arguments_are_validated()
    {
        int max = Environment.ProcessorCount * 4;
        var low = Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
        Assert.Contains($"1 to {max}", low.Message, StringComparison.Ordinal);
        Assert.Contains("got 0", low.Message, StringComparison.Ordinal);
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(max + 1));
        Assert.Contains($"got {max + 1}", high.Message, StringComparison.Ordinal);

        using var pool = new ComputePool(1);
        Assert.Equal(1, pool.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(-1, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(4, 0, (_, _) => { }));
        Assert.Throws<ArgumentNullException>(() => pool.For(4, null!));
    }

    private static void RunWithDeadline(Action action)
    {
        Task task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(Deadline), $"The pool did not finish within {Deadline.TotalSeconds} s (a lost wake-up or a deadlock).");
    }
}
