using GqaGen.Tests.Layouts;

namespace GqaGen.Tests.Parallel;

/// <summary>
/// A split decode checks its arguments as the kernels do, on the calling thread and before any chunk runs (same
/// exception, parameter and message as the pool-less call, output untouched), refuses a disposed pool or cache, and
/// hands a chunk's exception to the caller.
/// </summary>
public sealed class SplitKvValidationTests
{
    private static GqaShape Shape => Heads6Groups3Dim96.Shape;

    /// <summary>Long enough to split over two threads, so that the split path, not the kernel, is what is checked.</summary>
    private static int Length { get; } = 4 * SplitKvDecode.MinimumPositionsPerChunk(KvElementType.Float32.RowBytes(Shape.HeadDim));

    private static GqaAttention Attention { get; } = GqaAttention.For<Heads6Groups3Dim96>();

    public static TheoryData<string, int> WrongLengths() => new()
    {
        { "query", 575 },
        { "output", 577 },
        { "logSumExp", 5 },
    };

    [Theory]
    [MemberData(nameof(WrongLengths))]
    public void A_span_of_the_wrong_length_is_rejected_as_the_kernel_rejects_it(string span, int length)
    {
        using KvCache cache = new(Shape, 1, Length);
        using var pool = new ComputePool(2);
        float[] query = new float[span == "query" ? length : Shape.QueryLength];
        float[] output = SplitAssert.Poisoned(span == "output" ? length : Shape.QueryLength);
        float[] logSumExp = SplitAssert.Poisoned(span == "logSumExp" ? length : Shape.Heads);
        var positions = KvRange.FromLength(Length);

        var expected = Assert.Throws<ArgumentException>(() => Attention.Decode(query, cache, 0, positions, output, logSumExp));
        var actual = Assert.Throws<ArgumentException>(() => Attention.Decode(query, cache, 0, positions, output, logSumExp, pool));

        Assert.Equal(span, actual.ParamName);
        Assert.Equal(expected.Message, actual.Message);
        Assert.All(output, o => Assert.True(float.IsNaN(o), "A rejected decode must not write the output."));
    }

    [Fact]
    public void A_range_past_the_capacity_a_wrong_layer_or_another_layout_is_rejected_before_any_chunk_runs()
    {
        using KvCache cache = new(Shape, 1, Length);
        using KvCache otherLayout = new(new GqaShape(6, 2, 96), 1, Length);
        using var pool = new ComputePool(2);
        float[] query = new float[Shape.QueryLength], output = SplitAssert.Poisoned(Shape.QueryLength);
        int chunkCalls = 0;
        var observed = new ObservedAttention(Attention, _ => Interlocked.Increment(ref chunkCalls));

        var past = Assert.Throws<ArgumentOutOfRangeException>(() => observed.Decode(query, cache, 0, KvRange.FromLength(Length + 1), output, default, pool));
        Assert.Equal("positions", past.ParamName);
        Assert.Contains($"capacity {Length}", past.Message, StringComparison.Ordinal);
        var layer = Assert.Throws<ArgumentOutOfRangeException>(() => observed.Decode(query, cache, 1, KvRange.FromLength(Length), output, default, pool));
        Assert.Equal("layer", layer.ParamName);
        var layout = Assert.Throws<ArgumentException>(() => observed.Decode(query, otherLayout, 0, KvRange.FromLength(Length), output, default, pool));
        Assert.Equal("cache", layout.ParamName);
        var overlap = Assert.Throws<ArgumentException>(() => observed.Decode(output, cache, 0, KvRange.FromLength(Length), output, default, pool));
        Assert.Equal("output", overlap.ParamName);

        Assert.Equal(0, chunkCalls);
        Assert.All(output, o => Assert.True(float.IsNaN(o), "A rejected decode must not write the output."));
    }

    [Fact]
    public void A_disposed_pool_or_cache_is_refused()
    {
        using KvCache cache = new(Shape, 1, Length);
        var pool = new ComputePool(2);
        pool.Dispose();
        float[] query = new float[Shape.QueryLength], output = new float[Shape.QueryLength];

        Assert.Throws<ObjectDisposedException>(() => Attention.Decode(query, cache, 0, KvRange.FromLength(Length), output, default, pool));
        // Also where the range is too short to split, so that a disposed pool fails the same way at any length.
        Assert.Throws<ObjectDisposedException>(() => Attention.Decode(query, cache, 0, KvRange.FromLength(3), output, default, pool));

        using var live = new ComputePool(2);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Attention.Decode(query, cache, 0, KvRange.FromLength(Length), output, default, live));
    }

    [Fact]
    public void An_exception_in_a_workers_chunk_reaches_the_caller_and_the_pool_stays_usable()
    {
        using KvCache cache = new(Shape, 1, Length);
        using var pool = new ComputePool(2);
        float[] query = new float[Shape.QueryLength], output = new float[Shape.QueryLength];
        int caller = Environment.CurrentManagedThreadId;
        bool fail = true;
        var observed = new ObservedAttention(Attention, range =>
        {
            if (Volatile.Read(ref fail) && range.Start > 0)
                throw new InvalidOperationException($"chunk {range} failed on thread {(Environment.CurrentManagedThreadId == caller ? "caller" : "worker")}");
        });

        var e = Assert.Throws<InvalidOperationException>(() => observed.Decode(query, cache, 0, KvRange.FromLength(Length), output, default, pool));
        Assert.Equal($"chunk {SplitKvDecode.Chunk(KvRange.FromLength(Length), 2, 1)} failed on thread worker", e.Message);

        Volatile.Write(ref fail, false);
        observed.Decode(query, cache, 0, KvRange.FromLength(Length), output, default, pool);
        Assert.All(output, o => Assert.True(float.IsFinite(o)));
    }
}
