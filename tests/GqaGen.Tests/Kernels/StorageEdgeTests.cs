using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Corners of the storage × window contract the matrix does not reach: empty ranges on rings, a decode without a
/// log-sum-exp where a wrapped window is decoded in two parts and merged, and split-KV decoding of a window's
/// positions in slices (one of them wrapping around the ring) merged by log-sum-exp, for every storage type.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class StorageEdgeTests
{
    private static readonly string[] Decoders =
        [EntryPoints.Generated, EntryPoints.Generic, EntryPoints.Reference, EntryPoints.GeneratedBinding, EntryPoints.GenericBinding];

    public static TheoryData<string, KvElementType, int> EmptyCases()
    {
        var data = new TheoryData<string, KvElementType, int>();
        foreach (string decoder in Decoders)
            foreach (KvElementType type in Enum.GetValues<KvElementType>())
                foreach (int window in new[] { 0, 7 })
                    data.Add(decoder, type, window);
        return data;
    }

    [Theory]
    [MemberData(nameof(EmptyCases))]
    public void An_empty_range_writes_zeros_and_negative_infinity(string decoder, KvElementType type, int window)
    {
        LayoutKernel layout = LayoutCatalog.Get(nameof(Heads2Groups1Dim17));
        using var cache = new KvCache(layout.Shape, 1, 30, type, window);
        var random = new Random(CaseSeed.For(nameof(An_empty_range_writes_zeros_and_negative_infinity), decoder, type, window));
        // Twenty positions: a ring of 7 has wrapped twice. The appended rows are real data, so an empty range that
        // read anything would not give zeros.
        for (int p = 0; p < 20; p++)
            EntryPoints.Appender(decoder == EntryPoints.Reference ? EntryPoints.Generic : decoder, layout)(cache, 0, p, Row(random, layout.Shape.KvLength), Row(random, layout.Shape.KvLength));
        foreach (int at in new[] { 0, 5, 20, 30 })
        {
            var output = new GuardedBuffer(layout.Shape.QueryLength);
            var logSumExp = new GuardedBuffer(layout.Shape.Heads);
            EntryPoints.Decoder(decoder, layout)(Row(random, layout.Shape.QueryLength), cache, 0, new KvRange(at, at), output.Inner, logSumExp.Inner);
            string context = $"{decoder}, {type} cache, window {window}, empty range at {at}";
            Assert.True(output.Inner.ToArray().All(o => o == 0f), $"{context}: output is not all zeros.");
            Assert.True(logSumExp.Inner.ToArray().All(float.IsNegativeInfinity), $"{context}: logSumExp is not all −∞.");
            output.AssertMarginsUntouched($"{context}: output");
            logSumExp.AssertMarginsUntouched($"{context}: logSumExp");
        }
    }

    public static TheoryData<string, KvElementType, int, string, int, int> NoLogSumExpCases()
    {
        var data = new TheoryData<string, KvElementType, int, string, int, int>();
        foreach (string kernel in new[] { EntryPoints.Generated, EntryPoints.Generic })
            foreach (KvElementType type in Enum.GetValues<KvElementType>())
                foreach (string layout in new[] { nameof(Qwen25_0_5B), nameof(Heads2Groups1Dim17) })
                {
                    data.Add(kernel, type, 16, layout, 40, 10); // a short range split across the ring's end
                    data.Add(kernel, type, 7, layout, 13, 23);  // a full ring
                    data.Add(kernel, type, 0, layout, 13, 32);
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(NoLogSumExpCases))]
    public void Decode_without_logSumExp_matches_reference(string kernel, KvElementType type, int window, string layoutName, int start, int count)
        => StorageDecodeRunner.Check(kernel, type, window, layoutName, start, count, InputVariant.Uniform, withLogSumExp: false);

    public static TheoryData<string, KvElementType, string> SplitCases()
    {
        var data = new TheoryData<string, KvElementType, string>();
        foreach (string kernel in new[] { EntryPoints.Generated, EntryPoints.Generic })
            foreach (KvElementType type in Enum.GetValues<KvElementType>())
                foreach (string layout in new[] { nameof(Llama3_8B), nameof(Heads2Groups1Dim17), nameof(Heads4Groups1Dim7) })
                    data.Add(kernel, type, layout);
        return data;
    }

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void Slices_of_a_window_merged_by_logSumExp_equal_the_whole_window(string kernel, KvElementType type, string layoutName)
    {
        // Positions [0, 45) through a ring of 16: the last query sees [29, 45), in slots 13–15 then 0–12. Split-KV over
        // a window slices the attended positions (a slice decoded alone is shorter than the window, so nothing is
        // clamped): [29, 33) wraps from slot 15 to slot 0, [33, 40) and [40, 45) do not.
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        DecodeFunction decode = EntryPoints.Decoder(kernel, layout);
        using StorageScenario scenario = StorageScenario.Create(shape, type, 16, new KvRange(0, 45), 0, InputVariant.Uniform,
            EntryPoints.Appender(kernel, layout), CaseSeed.For(nameof(Slices_of_a_window_merged_by_logSumExp_equal_the_whole_window), kernel, type, layoutName));
        Assert.Equal(new KvRange(29, 45), scenario.Attended);

        var parts = new List<(float[] Output, float[] LogSumExp)>();
        foreach (var slice in new[] { new KvRange(29, 33), new KvRange(33, 40), new KvRange(40, 45) })
        {
            var output = new float[shape.QueryLength];
            var logSumExp = new float[shape.Heads];
            decode(scenario.Query, scenario.Cache, scenario.Layer, slice, output, logSumExp);
            parts.Add((output, logSumExp));
        }
        var (merged, mergedLogSumExp) = LogSumExpMerge.Merge(shape, parts);
        var (expected, expectedLogSumExp) = scenario.Reference();
        AttentionAssert.MatchesReference(shape, expected, expectedLogSumExp, merged, mergedLogSumExp,
            $"{kernel} on path {EntryPoints.PathOf(kernel, layout)}, {layout}, {type.ShortName()} ring of 16, [29, 45) in slices [29, 33), [33, 40), [40, 45)");
    }

    private static float[] Row(Random random, int length)
    {
        var row = new float[length];
        for (int i = 0; i < length; i++)
            row[i] = 2 * random.NextSingle() - 1;
        return row;
    }
}
