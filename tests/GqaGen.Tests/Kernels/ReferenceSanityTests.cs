using GqaGen.Tests.Layouts;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Hand-computed checks of <see cref="GqaReference"/> itself: every kernel test trusts it, so a reference that
/// mapped heads to the wrong group or mis-scaled scores would make the kernel tests agree with a wrong answer.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class ReferenceSanityTests
{
    [Fact]
    public void Two_positions_give_the_closed_form_softmax()
    {
        // d = 1: scores are q·k / √1 = 2·1.5 = 3 and 2·(−0.5) = −1.
        using var cache = new KvCache(Heads1Groups1Dim1.Shape, 1, 2);
        Heads1Groups1Dim1.AppendKv(cache, 0, 0, [1.5f], [10f]);
        Heads1Groups1Dim1.AppendKv(cache, 0, 1, [-0.5f], [-4f]);
        var output = new float[1];
        var logSumExp = new float[1];

        GqaReference.Decode(Heads1Groups1Dim1.Shape, [2f], cache, 0, KvRange.FromLength(2), output, logSumExp);

        double denominator = Math.Exp(3) + Math.Exp(-1);
        Assert.Equal((Math.Exp(3) * 10 + Math.Exp(-1) * -4) / denominator, output[0], 5);
        Assert.Equal(Math.Log(denominator), logSumExp[0], 5);
    }

    [Fact]
    public void Scores_are_scaled_by_one_over_root_d()
    {
        // d = 8, three heads with the same all-ones query: position 0 (k = v = ones) scores 8 / √8 = √8, position 1 (zeros) scores 0.
        using var cache = new KvCache(Heads3Groups1Dim8.Shape, 1, 2);
        float[] ones = Enumerable.Repeat(1f, 8).ToArray();
        Heads3Groups1Dim8.AppendKv(cache, 0, 0, ones, ones);
        Heads3Groups1Dim8.AppendKv(cache, 0, 1, new float[8], new float[8]);
        float[] query = Enumerable.Repeat(1f, 24).ToArray();
        var output = new float[24];
        var logSumExp = new float[3];

        GqaReference.Decode(Heads3Groups1Dim8.Shape, query, cache, 0, KvRange.FromLength(2), output, logSumExp);

        double weight = Math.Exp(Math.Sqrt(8)) / (Math.Exp(Math.Sqrt(8)) + 1);
        Assert.All(output, o => Assert.Equal(weight, o, 5));
        Assert.All(logSumExp, l => Assert.Equal(Math.Log(Math.Exp(Math.Sqrt(8)) + 1), l, 5));
    }

    [Fact]
    public void Each_head_reads_the_group_of_consecutive_heads_it_belongs_to()
    {
        // H = 4, G = 2, d = 80: heads 0 and 1 share K/V head 0, heads 2 and 3 share K/V head 1 (h / (H/G), not h % G).
        // With one position the softmax weight is 1, so each head's output is its group's value row.
        using var cache = new KvCache(Heads4Groups2Dim80.Shape, 1, 1);
        float[] value = new float[160];
        value.AsSpan(0, 80).Fill(1f);
        value.AsSpan(80, 80).Fill(2f);
        Heads4Groups2Dim80.AppendKv(cache, 0, 0, new float[160], value);
        var output = new float[320];

        GqaReference.Decode(Heads4Groups2Dim80.Shape, new float[320], cache, 0, KvRange.FromLength(1), output);

        float[] groupOfHead = Enumerable.Range(0, 4).Select(h => output[h * 80]).ToArray();
        Assert.Equal([1f, 1f, 2f, 2f], groupOfHead);
    }
}
