using GqaGen.Kernels;
using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// <see cref="GqaSimd.MergeInto"/>, the flash-decoding merge the kernels use for a window that wraps around the ring:
/// two partial results merged by their log-sum-exp equal the result over both ranges, a part over no position
/// (log-sum-exp −∞) adds nothing on either side, and mismatched lengths are rejected naming them.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class MergeIntoTests
{
    [Theory]
    [InlineData(nameof(Qwen25_0_5B), 1)]
    [InlineData(nameof(Qwen25_0_5B), 37)]
    [InlineData(nameof(Heads2Groups1Dim17), 50)]
    [InlineData(nameof(Heads1Groups1Dim1), 99)]
    public void Two_parts_merge_into_the_whole(string layoutName, int split)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        using DecodeScenario scenario = DecodeScenario.Create(shape, 100, InputVariant.LargeLogits, layout.GenericAppendKv,
            CaseSeed.For(nameof(MergeIntoTests), layoutName, split));
        var (whole, wholeLogSumExp) = scenario.Reference();
        var (output, logSumExp) = Decode(scenario, new KvRange(0, split));
        var (other, otherLogSumExp) = Decode(scenario, new KvRange(split, 100));

        GqaSimd.MergeInto(shape.HeadDim, output, logSumExp, other, otherLogSumExp);

        AttentionAssert.MatchesReference(shape, whole, wholeLogSumExp, output, logSumExp,
            $"{layout}: [0, {split}) merged with [{split}, 100)", tolerance: 1e-6);
    }

    [Fact]
    public void A_part_over_no_position_adds_nothing_on_either_side()
    {
        float[] output = [1f, 2f, 3f, 4f], logSumExp = [0.5f, -2f];
        float[] empty = [0f, 0f, 0f, 0f], emptyLogSumExp = [float.NegativeInfinity, float.NegativeInfinity];

        GqaSimd.MergeInto(2, output, logSumExp, empty, emptyLogSumExp);
        Assert.Equal([1f, 2f, 3f, 4f], output);
        Assert.Equal([0.5f, -2f], logSumExp);

        float[] target = [0f, 0f, 0f, 0f], targetLogSumExp = [float.NegativeInfinity, float.NegativeInfinity];
        GqaSimd.MergeInto(2, target, targetLogSumExp, output, logSumExp);
        Assert.Equal(output, target);
        Assert.Equal(logSumExp, targetLogSumExp);

        float[] both = [0f, 0f], bothLogSumExp = [float.NegativeInfinity];
        GqaSimd.MergeInto(2, both, bothLogSumExp, [0f, 0f], [float.NegativeInfinity]);
        Assert.Equal([0f, 0f], both);
        Assert.Equal([float.NegativeInfinity], bothLogSumExp);
    }

    [Fact]
    public void Equal_parts_average_and_add_log_two()
    {
        float[] output = [1f, -3f], logSumExp = [2f];
        GqaSimd.MergeInto(2, output, logSumExp, [3f, 5f], [2f]);
        Assert.Equal([2f, 1f], output);
        Assert.Equal(2 + Math.Log(2), logSumExp[0], 6);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_naming_them()
    {
        var e = Assert.Throws<ArgumentException>(() => GqaSimd.MergeInto(4, new float[8], new float[2], new float[7], new float[2]));
        Assert.Contains("8", e.Message, StringComparison.Ordinal);
        Assert.Contains("7", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => GqaSimd.MergeInto(4, new float[8], new float[3], new float[8], new float[3]));
        Assert.Throws<ArgumentException>(() => GqaSimd.MergeInto(4, new float[8], new float[2], new float[8], new float[1]));
    }

    private static (float[] Output, float[] LogSumExp) Decode(DecodeScenario scenario, KvRange positions)
    {
        var output = new float[scenario.Shape.QueryLength];
        var logSumExp = new float[scenario.Shape.Heads];
        GqaReference.Decode(scenario.Shape, scenario.Query, scenario.Cache, scenario.Layer, positions, output, logSumExp);
        return (output, logSumExp);
    }

    [Fact]
    public void Overlapping_outputs_are_refused()
    {
        // One buffer holding both parts' outputs, the other part one head (two floats) later: the merge would read
        // values it has already overwritten, so it refuses rather than return wrong numbers.
        float[] buffer = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] logSumExp = [0f, 0f], otherLogSumExp = [1f, 1f];
        var error = Assert.Throws<ArgumentException>(() =>
            GqaSimd.MergeInto(2, buffer.AsSpan(0, 4), logSumExp, buffer.AsSpan(2, 4), otherLogSumExp));
        Assert.Contains("overlap", error.Message);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], buffer);
    }
}
