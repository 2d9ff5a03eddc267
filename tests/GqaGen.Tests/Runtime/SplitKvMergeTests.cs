using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// The split-KV contract: decoding [0, n) equals decoding disjoint slices and merging them by their log-sum-exp,
/// out = Σ_i exp(lse_i − lse)·out_i with lse = log Σ_i exp(lse_i). This is what logSumExp is for, so it checks that
/// it is the log of the softmax denominator and not some other normalisation.
/// </summary>
public sealed class SplitKvMergeTests
{
    private const int Length = 100;

    public static TheoryData<string, string, int[]> Cases()
    {
        var data = new TheoryData<string, string, int[]>();
        foreach (string layout in new[] { nameof(Llama3_8B), nameof(Qwen25_0_5B), nameof(Heads2Groups1Dim17), nameof(Heads2Groups2Dim15), nameof(Heads4Groups1Dim7), nameof(Heads1Groups1Dim1) })
            foreach (string decoder in new[] { EntryPoints.Generated, EntryPoints.Generic })
            {
                data.Add(layout, decoder, [1]);
                data.Add(layout, decoder, [16]);
                data.Add(layout, decoder, [37]);
                data.Add(layout, decoder, [99]);
                data.Add(layout, decoder, [5, 21, 64]);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Merged_slices_equal_the_whole_range(string layoutName, string decoder, int[] splits)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        DecodeFunction decode = EntryPoints.Decoder(decoder, layout);
        using DecodeScenario scenario = DecodeScenario.Create(shape, Length, InputVariant.LargeLogits, layout.AppendKv,
            CaseSeed.For(nameof(SplitKvMergeTests), layoutName, decoder, string.Join(",", splits)));

        var whole = new float[shape.QueryLength];
        var wholeLogSumExp = new float[shape.Heads];
        decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, whole, wholeLogSumExp);

        int[] bounds = [0, .. splits, Length];
        var parts = new List<(float[] Output, float[] LogSumExp)>();
        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            var output = new float[shape.QueryLength];
            var logSumExp = new float[shape.Heads];
            decode(scenario.Query, scenario.Cache, scenario.Layer, new KvRange(bounds[i], bounds[i + 1]), output, logSumExp);
            parts.Add((output, logSumExp));
        }

        var (merged, mergedLogSumExp) = LogSumExpMerge.Merge(shape, parts);
        AttentionAssert.MatchesReference(shape, whole, wholeLogSumExp, merged, mergedLogSumExp,
            $"{decoder} {layout}, [0, {Length}) split at {string.Join(", ", splits)}");
    }
}
