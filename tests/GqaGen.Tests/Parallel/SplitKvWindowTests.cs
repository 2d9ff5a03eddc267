using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Parallel;

/// <summary>
/// Split decoding and sliding windows: the split cuts the window's tail (<see cref="KvCache.Attended"/>), never the whole
/// range, so every chunk lies inside the window and no chunk re-applies the window to itself. The chunk plan and the
/// decode are checked over <see cref="GqaReference"/> and over the generated and generic kernels.
/// </summary>
public sealed class SplitKvWindowTests
{
    /// <summary>The layout of the chunk-plan cases: fp32 rows of 256 bytes, so a chunk gets at least 256 positions.</summary>
    private static readonly GqaShape PlanShape = new(2, 1, 64);

    /// <summary>(range start, range end, window (0: none), threads).</summary>
    public static TheoryData<int, int, int, int> Plans()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int threads in SplitCheck.ThreadCounts)
        {
            data.Add(0, 5000, 0, threads);       // no window
            data.Add(13, 5013, 0, threads);      // boundaries counted from the start
            data.Add(0, 5000, 3000, threads);    // the tail [2000, 5000): up to 4 chunks of 750
            data.Add(0, 5000, 600, threads);     // the tail [4400, 5000): 2 chunks at most
            data.Add(0, 5000, 511, threads);     // a window too short to split: one call, with the range as given
            data.Add(0, 2500, 4096, threads);    // a window wider than the cache: no ring, the whole range splits
            data.Add(4000, 4700, 2000, threads); // a range inside the window
            data.Add(1000, 4000, 2500, threads); // a range longer than the window, not starting at 0
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void Chunks_cover_the_attended_positions_once_in_order_inside_the_window(int start, int end, int window, int threads)
    {
        GqaShape shape = PlanShape;
        var positions = new KvRange(start, end);
        using KvCache cache = WindowedCache(shape, end, window, CaseSeed.For(nameof(Chunks_cover_the_attended_positions_once_in_order_inside_the_window), start, end, window), out float[] query);
        var calls = new List<(KvRange Range, int Thread)>();
        var observed = new ObservedAttention(new ReferenceAttention(shape), range =>
        {
            lock (calls)
                calls.Add((range, Environment.CurrentManagedThreadId));
        });
        using var pool = new ComputePool(threads);

        observed.Decode(query, cache, 0, positions, new float[shape.QueryLength], new float[shape.Heads], pool);

        KvRange attended = cache.Attended(positions);
        int chunks = SplitKvDecode.ChunkCount(threads, attended.Length, cache.RowBytes);
        string context = $"{positions}, window {window}, {threads} thread(s): attended {attended}, calls {string.Join(" ", calls.Select(c => c.Range))}";
        Assert.True(calls.Count == chunks, $"{context}: expected {chunks} call(s).");
        if (chunks == 1)
        {
            // One chunk is the plain kernel call, with the range as given (the kernel applies the window itself).
            Assert.Equal(positions, calls[0].Range);
            return;
        }

        KvRange[] ranges = calls.Select(c => c.Range).OrderBy(r => r.Start).ToArray();
        Assert.True(ranges[0].Start == attended.Start && ranges[^1].End == attended.End, $"{context}: the chunks must span the attended positions.");
        for (int c = 0; c < ranges.Length; c++)
        {
            Assert.True(c == 0 || ranges[c].Start == ranges[c - 1].End, $"{context}: chunk {c} does not start where chunk {c - 1} ends.");
            Assert.True((ranges[c].Start - attended.Start) % SplitKvDecode.ChunkAlignment == 0, $"{context}: chunk {c} does not start on a multiple of {SplitKvDecode.ChunkAlignment}.");
            Assert.True(ranges[c].Length >= SplitKvDecode.MinimumPositionsPerChunk(cache.RowBytes) - SplitKvDecode.ChunkAlignment, $"{context}: chunk {c} is too short.");
            Assert.True(cache.Attended(ranges[c]) == ranges[c], $"{context}: the window would trim chunk {c}, so the chunk would not be attended whole.");
        }
        Assert.True(calls.Select(c => c.Thread).Distinct().Count() == chunks, $"{context}: the chunks must run on {chunks} distinct threads.");
    }

    /// <summary>(layout, range end, window) over the reference: ranges longer than the window, so the ring has wrapped.</summary>
    public static TheoryData<string, int, int> WindowCases() => WindowCasesFor(nameof(Qwen25_0_5B), nameof(Falcon7B), nameof(Heads2Groups1Dim17));

    /// <summary>The same over the kernels, Llama 3 8B included.</summary>
    public static TheoryData<string, string, int, int> WindowKernelCases()
    {
        var data = new TheoryData<string, string, int, int>();
        foreach (object[] row in WindowCasesFor(nameof(Llama3_8B), nameof(Falcon7B), nameof(Heads2Groups1Dim17)))
            foreach (string decoder in new[] { EntryPoints.Generated, EntryPoints.Generic })
                data.Add((string)row[0], decoder, (int)row[1], (int)row[2]);
        return data;
    }

    private static TheoryData<string, int, int> WindowCasesFor(params string[] layouts)
    {
        var data = new TheoryData<string, int, int>();
        foreach (string layout in layouts)
        {
            int m = SplitKvDecode.MinimumPositionsPerChunk(KvElementType.Float32.RowBytes(LayoutCatalog.Get(layout).Shape.HeadDim));
            data.Add(layout, 5000, 4096);            // Mistral 7B's window (sliding_window 4096): the tail [904, 5000)
            data.Add(layout, 3333, 1500);            // a tail of 1,500 that wraps the ring inside a chunk
            data.Add(layout, 3 * m + 100, 2 * m - 1); // a window too short to split: every pool runs it whole
        }
        return data;
    }

    /// <summary>Runs today: split decoding over the reference, which reads ring caches, against one reference call.</summary>
    [Theory]
    [MemberData(nameof(WindowCases))]
    public void Split_decode_over_a_window_matches_one_call_of_the_reference(string layoutName, int end, int window)
    {
        GqaShape shape = LayoutCatalog.Get(layoutName).Shape;
        using KvCache cache = WindowedCache(shape, end, window, CaseSeed.For(nameof(SplitKvWindowTests), layoutName, end, window), out float[] query);
        SplitCheck.OnEveryThreadCount(new ReferenceAttention(shape), query, cache, 0, KvRange.FromLength(end),
            $"reference {layoutName}, [0, {end}) window {window}");
    }

    /// <summary>The same checks over the kernels; correct once they read ring caches.</summary>
    [Theory]
    [MemberData(nameof(WindowKernelCases))]
    public void Split_decode_over_a_window_matches_the_single_threaded_kernel(string layoutName, string decoder, int end, int window)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using KvCache cache = WindowedCache(layout.Shape, end, window, CaseSeed.For(nameof(SplitKvWindowTests), layoutName, decoder, end, window), out float[] query);
        SplitCheck.OnEveryThreadCount(SplitBindings.For(decoder, layout), query, cache, 0, KvRange.FromLength(end),
            $"{decoder} {layout}, [0, {end}) window {window}");
    }

    /// <summary>
    /// A one-layer cache of capacity <paramref name="length"/> with the window (a ring when it is shorter), positions
    /// 0 to length − 1 written in order through <see cref="KvCache.Write"/> (so the ring has wrapped), and a query.
    /// </summary>
    private static KvCache WindowedCache(GqaShape shape, int length, int window, int seed, out float[] query)
    {
        var cache = new KvCache(shape, 1, length, slidingWindow: window);
        var inputs = new RandomInputs(shape, InputVariant.LargeLogits, seed);
        int extreme = inputs.Position(length);
        for (int p = 0; p < length; p++)
            cache.Write(0, p, inputs.KeyRow(extreme: p == extreme), inputs.ValueRow());
        query = inputs.Query();
        return cache;
    }
}
