using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// The sliding-window ring of <see cref="KvCache"/>: W slots per group (fewer when the capacity is smaller), position
/// p in slot p mod Slots, a decode range clamped to its last W positions (a query at p attends p − W &lt; j ≤ p, as
/// in Hugging Face's and llama.cpp's sliding-window attention), attended ranges split into the slot ranges holding
/// them, and appends that wrap around the ring up to the capacity. Expectations are computed from those
/// definitions position by position, not by the cache's own arithmetic.
/// </summary>
public sealed class KvCacheWindowTests
{
    private static readonly GqaShape Shape = new(4, 2, 17);

    [Theory]
    [InlineData(7, 100, 7)]
    [InlineData(16, 16, 16)]
    [InlineData(100, 65, 65)] // a capacity below the window: the ring is the whole cache
    [InlineData(1, 10, 1)]
    [InlineData(4096, int.MaxValue, 4096)]
    public void Slots_are_the_window_or_the_capacity_whichever_is_smaller(int window, int capacity, int slots)
    {
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
        {
            using var cache = new KvCache(Shape, 2, capacity, type, window);
            Assert.Equal(window, cache.SlidingWindow);
            Assert.Equal(capacity, cache.Capacity);
            Assert.Equal(slots, cache.Slots);
            int rowBytes = type.RowBytes(Shape.HeadDim);
            Assert.Equal(Shape.KvGroups * slots * rowBytes, cache.KeyBytes(1).Length);
            Assert.Equal(2L * 2 * Shape.KvGroups * slots * rowBytes, cache.SizeInBytes);
            Assert.Equal(2L * 2 * Shape.KvGroups * rowBytes, cache.BytesPerPosition);
        }
    }

    [Fact]
    public void SlotOf_is_the_position_modulo_the_slots_and_rejects_positions_outside_the_capacity()
    {
        using var ring = new KvCache(Shape, 1, 50, KvElementType.Float16, 7);
        for (int p = 0; p < 50; p++)
        {
            Assert.Equal(p % 7, ring.SlotOf(p));
            Assert.Equal((1 * 7 + p % 7) * ring.RowBytes, ring.RowByteOffset(1, p));
        }
        using var plain = new KvCache(Shape, 1, 50, KvElementType.Float16);
        for (int p = 0; p < 50; p++)
            Assert.Equal(p, plain.SlotOf(p));
        foreach (int outside in new[] { -1, 50, int.MaxValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.SlotOf(outside));
            Assert.Equal("position", e.ParamName);
            Assert.Equal(outside, e.ActualValue);
            Assert.Contains("49", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Attended_keeps_exactly_the_positions_the_last_query_sees()
    {
        // The query is the range's last position e − 1; it sees j with (e − 1) − W < j ≤ e − 1, within the range.
        foreach (int window in new[] { 0, 1, 3, 7, 16 })
        {
            using var cache = new KvCache(Shape, 1, 40, KvElementType.Float32, window);
            for (int start = 0; start <= 40; start++)
                for (int end = start; end <= 40; end++)
                {
                    int[] expected = Enumerable.Range(start, end - start).Where(j => window == 0 || j > end - 1 - window).ToArray();
                    KvRange attended = cache.Attended(new KvRange(start, end));
                    Assert.True(Enumerable.Range(attended.Start, attended.Length).SequenceEqual(expected),
                        $"Window {window}, range [{start}, {end}): Attended gave {attended}; the last query sees {(expected.Length == 0 ? "nothing" : $"[{expected[0]}, {expected[^1] + 1})")}.");
                }
        }
    }

    [Fact]
    public void SlotRanges_cover_each_attended_position_s_slot_exactly_once_in_at_most_two_ranges()
    {
        foreach (int window in new[] { 1, 2, 3, 5, 8, 9 })
            foreach (int capacity in new[] { 4, 9, 30 })
            {
                using var cache = new KvCache(Shape, 1, capacity, KvElementType.BFloat16, window);
                int slots = Math.Min(window, capacity);
                for (int start = 0; start <= capacity; start++)
                    for (int end = start; end <= Math.Min(capacity, start + slots); end++)
                    {
                        var attended = new KvRange(start, end);
                        int count = cache.SlotRanges(attended, out KvRange first, out KvRange second);
                        string context = $"window {window}, capacity {capacity} ({slots} slots), positions {attended}: {count} range(s) {first}, {second}";

                        var covered = new int[slots];
                        if (count >= 1)
                            AddSlots(covered, first, slots, context);
                        if (count == 2)
                        {
                            AddSlots(covered, second, slots, context);
                            Assert.True(second.Start == 0, $"{context}: the second range must start at slot 0.");
                        }
                        Assert.True(count is >= 0 and <= 2, $"{context}: count out of range.");
                        var expected = new int[slots];
                        for (int j = start; j < end; j++)
                            expected[j % slots]++;
                        Assert.True(expected.SequenceEqual(covered), $"{context}: slots covered [{string.Join(",", covered)}], expected [{string.Join(",", expected)}].");
                        Assert.True(count == (attended.Length == 0 ? 0 : attended.Length == slots || start % slots + attended.Length <= slots ? 1 : 2),
                            $"{context}: a range splits in two only where it wraps past the last slot without filling the ring.");
                    }
            }
    }

    [Theory]
    [InlineData(7, 0, 0, 0, 0, 0, 0)]      // empty
    [InlineData(7, 2, 5, 2, 5, 0, 0)]      // within the ring, not yet wrapped
    [InlineData(7, 9, 12, 2, 5, 0, 0)]     // within, after wrapping once
    [InlineData(7, 5, 10, 5, 7, 0, 3)]     // wrapping: slots 5, 6, then 0, 1, 2
    [InlineData(7, 13, 20, 0, 7, 0, 0)]    // a full ring is one range, [0, Slots), whatever the start slot
    [InlineData(7, 3, 10, 0, 7, 0, 0)]
    [InlineData(100, 30, 65, 30, 65, 0, 0)] // capacity 65 below the window of 100: never wraps
    public void SlotRanges_of_hand_worked_cases(int window, int start, int end, int firstStart, int firstEnd, int secondStart, int secondEnd)
    {
        using var cache = new KvCache(Shape, 1, 65, KvElementType.Q8_0, window);
        int count = cache.SlotRanges(new KvRange(start, end), out KvRange first, out KvRange second);
        Assert.Equal(end == start ? 0 : secondEnd > 0 ? 2 : 1, count);
        if (count > 0)
            Assert.Equal(new KvRange(firstStart, firstEnd), first);
        if (count == 2)
            Assert.Equal(new KvRange(secondStart, secondEnd), second);
    }

    [Fact]
    public void SlotRanges_of_a_cache_without_window_are_the_positions_themselves()
    {
        using var cache = new KvCache(Shape, 1, 30);
        Assert.Equal(1, cache.SlotRanges(new KvRange(4, 29), out KvRange first, out _));
        Assert.Equal(new KvRange(4, 29), first);
    }

    [Fact]
    public void SlotRanges_rejects_more_positions_than_the_ring_keeps_and_positions_past_the_capacity()
    {
        using var cache = new KvCache(Shape, 1, 30, KvElementType.Float16, 7);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => cache.SlotRanges(new KvRange(0, 8), out _, out _));
        Assert.Equal("attended", e.ParamName);
        Assert.Contains("8 positions", e.Message, StringComparison.Ordinal);
        Assert.Contains("7", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => cache.SlotRanges(new KvRange(28, 31), out _, out _));
        Assert.Equal("attended", e.ParamName);
        Assert.Contains("30", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KvElementType.Float32)]
    [InlineData(KvElementType.Float16)]
    [InlineData(KvElementType.BFloat16)]
    [InlineData(KvElementType.Q8_0)]
    public void Appending_past_the_window_wraps_up_to_the_capacity_and_keeps_the_last_window(KvElementType type)
    {
        const int Window = 7, Capacity = 60;
        using var cache = new KvCache(Shape, 2, Capacity, type, Window);
        for (int p = 0; p < Capacity; p++)
            cache.Write(1, p, RowFor(p, 1f), RowFor(p, -1f));

        // The ring now holds positions 53 to 59; each reads back as written (rounded as the format rounds).
        var read = new float[Shape.HeadDim];
        for (int p = Capacity - Window; p < Capacity; p++)
            for (int g = 0; g < Shape.KvGroups; g++)
            {
                cache.ReadKey(1, g, p, read);
                Assert.Equal(RowOracle.RoundTrip(type, RowFor(p, 1f).AsSpan(g * Shape.HeadDim, Shape.HeadDim)), read);
                cache.ReadValue(1, g, p, read);
                Assert.Equal(RowOracle.RoundTrip(type, RowFor(p, -1f).AsSpan(g * Shape.HeadDim, Shape.HeadDim)), read);
            }
        // Layer 0 was never written.
        Assert.All(cache.KeyBytes(0).ToArray(), b => Assert.Equal(0, b));
        var past = Assert.Throws<ArgumentOutOfRangeException>(() => cache.Write(1, Capacity, RowFor(0, 1f), RowFor(0, 1f)));
        Assert.Equal("position", past.ParamName);
    }

    [Fact]
    public void A_ring_with_the_largest_capacity_allocates_only_its_window()
    {
        using var cache = new KvCache(new GqaShape(32, 8, 128), 1, int.MaxValue, KvElementType.Q8_0, 16);
        Assert.Equal(16, cache.Slots);
        Assert.Equal(2L * 8 * 16 * 136, cache.SizeInBytes);
        var row = new float[8 * 128];
        row.AsSpan().Fill(0.5f);
        cache.Write(0, int.MaxValue - 1, row, row);
        Assert.Equal((int.MaxValue - 1) % 16, cache.SlotOf(int.MaxValue - 1));
        var read = new float[128];
        cache.ReadKey(0, 7, int.MaxValue - 1, read);
        Assert.All(read, x => Assert.Equal(0.5f, x, 0.5f / 127));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_negative_window_is_rejected_naming_it(int window)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Shape, 1, 8, KvElementType.Float32, window));
        Assert.Equal("slidingWindow", e.ParamName);
        Assert.Equal(window, e.ActualValue);
        Assert.Contains(window.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains("positive (or 0 for none)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-1)]
    public void An_unknown_element_type_is_rejected_naming_the_expected_ones(int type)
    {
        var e = Assert.Throws<ArgumentException>(() => new KvCache(Shape, 1, 8, (KvElementType)type, 4));
        Assert.Equal("elementType", e.ParamName);
        Assert.Contains($"Unknown KV element type {type}", e.Message, StringComparison.Ordinal);
        Assert.Contains("Float32, Float16, BFloat16, Q8_0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_window_too_large_to_allocate_is_rejected_naming_the_window()
    {
        // d = 512 floats per row: 2^22 slots are 2^33 bytes per layer, past the int.MaxValue a region may hold.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(new GqaShape(1, 1, 512), 1, int.MaxValue, KvElementType.Float32, 1 << 22));
        Assert.Equal("slidingWindow", e.ParamName);
        Assert.Contains("Lower the window", e.Message, StringComparison.Ordinal);
    }

    private static void AddSlots(int[] covered, KvRange range, int slots, string context)
    {
        Assert.True(range.End <= slots, $"{context}: {range} reaches past slot {slots - 1}.");
        for (int s = range.Start; s < range.End; s++)
            covered[s]++;
    }

    /// <summary>A recognizable row for position <paramref name="p"/>: every element different, none zero.</summary>
    private static float[] RowFor(int p, float sign)
        => Enumerable.Range(0, Shape.KvLength).Select(i => sign * (1 + p + i / 64f)).ToArray();
}
