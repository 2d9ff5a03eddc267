using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Prefill;

/// <summary>Prefill's argument checks, the same for the generated, generic and reference entry points, and the appending overload.</summary>
public sealed class PrefillValidationTests
{
    public static TheoryData<string> Kernels() => new(EntryPoints.Generated, EntryPoints.Generic, EntryPoints.Reference);

    private delegate void PrefillFunction(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output);

    private static PrefillFunction For(string kernel, GqaShape shape) => kernel switch
    {
        EntryPoints.Generated => (q, c, l, f, n, o) => Llama3_8B.Prefill(q, c, l, f, n, o),
        EntryPoints.Generic => (q, c, l, f, n, o) => GenericGqaKernel.Prefill(shape, q, c, l, f, n, o),
        _ => (q, c, l, f, n, o) => GqaReference.Prefill(shape, q, c, l, f, n, o),
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Wrong_sizes_and_positions_are_rejected_with_the_numbers(string kernel)
    {
        GqaShape shape = Llama3_8B.Shape;
        PrefillFunction prefill = For(kernel, shape);
        using var cache = new KvCache(shape, layers: 1, capacity: 10);
        int q = shape.QueryLength;

        var e = Assert.Throws<ArgumentException>(() => prefill(new float[3 * q - 1], cache, 0, 0, 3, new float[3 * q]));
        Assert.Equal("queries", e.ParamName);
        Assert.Contains($"expected {3 * q}", e.Message);

        e = Assert.Throws<ArgumentException>(() => prefill(new float[3 * q], cache, 0, 0, 3, new float[2 * q]));
        Assert.Equal("output", e.ParamName);

        var shared = new float[3 * q];
        e = Assert.Throws<ArgumentException>(() => prefill(shared, cache, 0, 0, 3, shared));
        Assert.Contains("overlaps", e.Message);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => prefill(new float[3 * q], cache, 0, 8, 3, new float[3 * q]));
        Assert.Contains("8 to 10", range.Message);
        Assert.Contains("capacity 10", range.Message);

        range = Assert.Throws<ArgumentOutOfRangeException>(() => prefill(new float[q], cache, 0, -1, 1, new float[q]));
        Assert.Equal("firstPosition", range.ParamName);

        range = Assert.Throws<ArgumentOutOfRangeException>(() => prefill(new float[q], cache, 1, 0, 1, new float[q]));
        Assert.Equal("layer", range.ParamName);

        prefill([], cache, 0, 10, 0, []); // an empty block at the end of the cache is fine
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void A_ring_that_no_longer_holds_every_window_is_rejected_with_the_numbers(string kernel)
    {
        GqaShape shape = Llama3_8B.Shape;
        PrefillFunction prefill = For(kernel, shape);
        // Window 16 in a ring of 20: a block from position 30 reads from 15; 5 queries need 20 slots, 6 need 21.
        using var cache = new KvCache(shape, layers: 1, capacity: 100, slidingWindow: 16, ringSlots: 20);
        int q = shape.QueryLength;
        prefill(new float[5 * q], cache, 0, 30, 5, new float[5 * q]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => prefill(new float[6 * q], cache, 0, 30, 6, new float[6 * q]));
        Assert.Contains("positions 15 to 35 (21 positions)", e.Message);
        Assert.Contains("holds 20 slots", e.Message);
        Assert.Contains("at most 5 queries", e.Message);
    }

    [Fact]
    public void A_windowed_layout_rejects_a_cache_of_another_window()
    {
        using var cache = new KvCache(Window16Heads8Groups2Dim64.Shape, layers: 1, capacity: 40, slidingWindow: 33);
        int q = Window16Heads8Groups2Dim64.Shape.QueryLength;
        var e = Assert.Throws<ArgumentException>(() => Window16Heads8Groups2Dim64.Prefill(new float[q], cache, 0, 0, 1, new float[q]));
        Assert.Contains("SlidingWindow = 16", e.Message);
    }

    [Fact]
    public void A_disposed_pool_is_rejected()
    {
        using var cache = new KvCache(Llama3_8B.Shape, layers: 1, capacity: 4);
        var pool = new ComputePool(2);
        pool.Dispose();
        int q = Llama3_8B.Shape.QueryLength;
        Assert.Throws<ObjectDisposedException>(() => GqaAttention.For<Llama3_8B>().Prefill(new float[q], cache, 0, 0, 1, new float[q], pool));
    }

    [Fact]
    public void Ring_slots_must_hold_the_window()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Llama3_8B.Shape, 1, 100, slidingWindow: 16, ringSlots: 15));
        Assert.Contains("below the sliding window 16", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Llama3_8B.Shape, 1, 100, ringSlots: 20));
        Assert.Contains("no window", e.Message);
        using var ring = new KvCache(Llama3_8B.Shape, 1, 100, slidingWindow: 16, ringSlots: 40);
        Assert.Equal(40, ring.Slots);
    }

    [Theory]
    [InlineData(KvElementType.Float32)]
    [InlineData(KvElementType.Q8_0)]
    public void Append_and_prefill_cuts_a_ring_of_one_window_into_blocks_it_holds(KvElementType type)
    {
        // A ring of exactly W = 16 slots: after the first window only one query at a time fits. The result must equal the
        // reference on a ring large enough never to wrap (same window, same values).
        GqaShape shape = TinyLlama_1_1B.Shape;
        const int Window = 16, Count = 45;
        var inputs = new RandomInputs(shape, InputVariant.Uniform, CaseSeed.For("append and prefill", type));
        float[] queries = new float[Count * shape.QueryLength], keys = new float[Count * shape.KvLength], values = new float[Count * shape.KvLength];
        for (int i = 0; i < Count; i++)
        {
            inputs.Query().CopyTo(queries, i * shape.QueryLength);
            inputs.KeyRow(extreme: false).CopyTo(keys, i * shape.KvLength);
            inputs.ValueRow().CopyTo(values, i * shape.KvLength);
        }

        using var ring = new KvCache(shape, layers: 1, capacity: 64, type, Window);
        using var wide = new KvCache(shape, layers: 1, capacity: 64, type, Window, ringSlots: 64);
        var output = new GuardedBuffer(Count * shape.QueryLength);
        GqaAttention.For<TinyLlama_1_1B>().AppendAndPrefill(queries, keys, values, ring, 0, 0, Count, output.Inner);

        var expected = new float[queries.Length];
        for (int i = 0; i < Count; i++)
            wide.Write(0, i, keys.AsSpan(i * shape.KvLength, shape.KvLength), values.AsSpan(i * shape.KvLength, shape.KvLength));
        GqaReference.Prefill(shape, queries, wide, 0, 0, Count, expected);
        output.AssertMarginsUntouched("AppendAndPrefill output");
        int q = shape.QueryLength;
        for (int i = 0; i < Count; i++)
            AttentionAssert.OutputMatchesReference(shape, expected.AsSpan(i * q, q), output.Inner.Slice(i * q, q), $"{type.ShortName()} query {i}");
    }
}
