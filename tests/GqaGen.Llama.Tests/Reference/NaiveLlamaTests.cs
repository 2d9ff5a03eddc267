using GqaGen.Llama.Tests.Support;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>The oracle checked on its own: each step against hand-worked values, and whole-model properties
/// (causality, RoPE in effect, the query-head to K/V-head mapping, healthy activations) that do not need the decoder.</summary>
public sealed class NaiveLlamaTests
{
    [Fact]
    public void RmsNorm_divides_by_root_mean_square_plus_epsilon()
    {
        double[] y = NaiveLlama.RmsNorm([3, 4], 0.5);
        double rms = Math.Sqrt((9 + 16) / 2.0 + 0.5); // √13
        Assert.Equal(3 / rms, y[0], 15);
        Assert.Equal(4 / rms, y[1], 15);
    }

    [Fact]
    public void Rope_rotates_adjacent_pairs_by_position_times_frequency()
    {
        // One head of 6 at offset 2, 4 rotary dimensions, position 3, base 100: pair 0 turns by 3, pair 1 by
        // 3 · 100^(-2/4) = 0.3; elements 4 and 5 of the head are past n_rot and stay.
        double[] v = [9, 9, 1, 2, 3, 4, 5, 6];
        NaiveLlama.Rope(v, offset: 2, rotaryDimensions: 4, position: 3, freqBase: 100);
        Assert.Equal([9.0, 9.0], v[..2]);
        Assert.Equal(1 * Math.Cos(3) - 2 * Math.Sin(3), v[2], 14);
        Assert.Equal(1 * Math.Sin(3) + 2 * Math.Cos(3), v[3], 14);
        Assert.Equal(3 * Math.Cos(0.3) - 4 * Math.Sin(0.3), v[4], 14);
        Assert.Equal(3 * Math.Sin(0.3) + 4 * Math.Cos(0.3), v[5], 14);
        Assert.Equal([5.0, 6.0], v[6..]);
    }

    [Fact]
    public void Rope_at_position_zero_is_the_identity()
    {
        double[] v = [0.5, -1, 2, 7];
        NaiveLlama.Rope(v, 0, 4, 0, 10000);
        Assert.Equal([0.5, -1, 2, 7], v);
    }

    [Fact]
    public void Softmax_is_exact_and_stable()
    {
        double[] p = NaiveLlama.Softmax([0, Math.Log(3)]);
        Assert.Equal(0.25, p[0], 15);
        Assert.Equal(0.75, p[1], 15);
        double[] large = NaiveLlama.Softmax([1000, 1000]);
        Assert.Equal([0.5, 0.5], large);
    }

    [Fact]
    public void Silu_and_MatVec_match_their_definitions()
    {
        Assert.Equal(0, NaiveLlama.Silu(0));
        Assert.Equal(2 / (1 + Math.Exp(-2)), NaiveLlama.Silu(2), 15);
        // Row r is output r: [[1, 2], [3, 4]] · [1, 10] = [21, 43].
        Assert.Equal([21.0, 43.0], NaiveLlama.MatVec([[1, 2], [3, 4]], [1, 10]));
    }

    [Fact]
    public void Logits_are_causal()
    {
        int[] tokens = TestModels.RandomTokens(12, TestModels.Gqa.VocabularySize, seed: 1);
        double[][] full = TestModels.OracleLogits(TestModels.Gqa, tokens);
        using var file = TestModels.Open(TestModels.Gqa);
        double[][] prefix = NaiveLlama.Logits(file, tokens[..7]);
        for (int p = 0; p < 7; p++)
            Assert.Equal(prefix[p], full[p]);
        // And a later token does depend on the earlier ones.
        int[] changed = (int[])tokens.Clone();
        changed[0] = (changed[0] + 1) % TestModels.Gqa.VocabularySize;
        double[][] other = NaiveLlama.Logits(file, changed);
        Assert.NotEqual(full[11], other[11]);
    }

    [Fact]
    public void Rope_base_changes_every_position_but_the_first()
    {
        int[] tokens = TestModels.RandomTokens(5, TestModels.Gqa.VocabularySize, seed: 2);
        double[][] a = TestModels.OracleLogits(TestModels.Gqa, tokens);
        double[][] b = TestModels.OracleLogits(TestModels.Gqa with { RopeFreqBase = 100f }, tokens);
        Assert.Equal(a[0], b[0]);
        for (int p = 1; p < tokens.Length; p++)
            Assert.True(MaxAbsDifference(a[p], b[p]) > 1e-3, $"position {p} did not change with the RoPE base");
    }

    [Fact]
    public void Grouped_model_equals_the_multi_head_model_with_each_group_copied_to_its_heads()
    {
        // Query head h reads K/V head h / (H/G): with H = 4, G = 2, heads 0 and 1 read group 0, heads 2 and 3 group 1.
        // Copying each group's K and V rows to its heads gives an MHA model (G = 4) that must compute the same logits;
        // a mapping h % G (heads 0 and 2 on group 0) would not.
        using var gqa = TestModels.Open(TestModels.Gqa);
        byte[] mha = MultiHeadExpansion.Of(gqa);
        int[] tokens = TestModels.RandomTokens(9, TestModels.Gqa.VocabularySize, seed: 3);
        double[][] expected = NaiveLlama.Logits(gqa, tokens);
        using var mhaFile = GgufFile.Parse(mha);
        double[][] actual = NaiveLlama.Logits(mhaFile, tokens);
        for (int p = 0; p < tokens.Length; p++)
            Assert.True(MaxAbsDifference(expected[p], actual[p]) < 1e-12, $"position {p}");
    }

    [Fact]
    public void Synthetic_model_has_healthy_activations_and_focused_attention()
    {
        var spec = TestModels.Gqa;
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: 4);
        double focusSum = 0;
        int focusCount = 0;
        using var file = TestModels.Open(spec);
        var oracle = new NaiveLlama(file)
        {
            AttentionObserver = (layer, head, position, p) =>
            {
                if (position < 16)
                    return;
                // Focus: the largest probability over the uniform one, 1/(position+1).
                focusSum += p.Max() * (position + 1);
                focusCount++;
            },
        };
        double[][] logits = oracle.Logits(tokens);
        double meanFocus = focusSum / focusCount;
        Assert.True(meanFocus > 3, $"attention is nearly uniform: its peak is on average {meanFocus:F2} × the uniform probability");
        foreach (double[] row in logits)
        {
            Assert.All(row, v => Assert.True(double.IsFinite(v)));
            double mean = row.Average();
            double std = Math.Sqrt(row.Select(v => (v - mean) * (v - mean)).Average());
            Assert.InRange(std, 0.5, 20);
        }
    }

    private static double MaxAbsDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
