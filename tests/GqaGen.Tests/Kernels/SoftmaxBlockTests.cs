using GqaGen.Kernels;
using Xunit;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// <see cref="GqaSimd.SoftmaxBlock"/>, the online-softmax step every decode and prefill kernel calls once per block
/// and head, on both of its branches: a block that raises the running maximum (a new maximum, the factor for earlier
/// outputs below 1) and one that does not (the maximum kept, the factor exactly 1). Run on every ISA path by CI.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class SoftmaxBlockTests
{
    /// <summary>Block lengths: whole 512-bit vectors, whole 256-bit vectors only, and neither (the scalar step).</summary>
    public static TheoryData<int> Lengths() => new() { 16, 32, 48, 8, 24, 5, 31 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void A_sequence_of_blocks_gives_the_softmax_of_their_concatenation(int length)
    {
        var random = new Random(length);
        const int blocks = 40;
        // Noise in [−3, 3), with one score above everything before it in blocks 5, 17 and 29: those blocks and a few early
        // ones raise the maximum, most keep it.
        double[] all = Enumerable.Range(0, blocks * length).Select(_ => 6 * random.NextDouble() - 3).ToArray();
        foreach (int raising in new[] { 5, 17, 29 })
            all[raising * length + random.Next(length)] = all.Take(raising * length).Max() + 1;

        float runningMax = float.NegativeInfinity, runningSum = 0;
        var weights = new double[all.Length];
        int raisedBlocks = 0, keptBlocks = 0;
        for (int b = 0; b < blocks; b++)
        {
            float[] scores = all.Skip(b * length).Take(length).Select(s => (float)s).ToArray();
            float maxBefore = runningMax;
            float blockMax = scores.Max();
            float alpha = GqaSimd.SoftmaxBlock(scores, ref runningMax, ref runningSum);

            if (blockMax > maxBefore)
            {
                raisedBlocks++;
                Assert.Equal(blockMax, runningMax);
                Assert.Equal(Math.Exp((double)maxBefore - blockMax), alpha, 1e-6);
            }
            else
            {
                keptBlocks++;
                Assert.Equal(maxBefore, runningMax);
                Assert.Equal(1f, alpha);
            }
            // Earlier weights were relative to the old maximum: rescale them as a kernel rescales its outputs.
            for (int i = 0; i < b * length; i++)
                weights[i] *= alpha;
            for (int i = 0; i < length; i++)
                weights[b * length + i] = scores[i];
        }
        Assert.True(raisedBlocks >= 2 && keptBlocks >= 10, $"the scores should exercise both branches: {raisedBlocks} raised, {keptBlocks} kept");

        double max = all.Select(s => (double)(float)s).Max();
        double sum = all.Sum(s => Math.Exp((float)s - max));
        Assert.Equal(max, runningMax);
        Assert.True(Math.Abs(runningSum - sum) <= 1e-5 * sum, $"running sum {runningSum}, expected {sum}");
        for (int i = 0; i < all.Length; i++)
        {
            double expected = Math.Exp((float)all[i] - max);
            Assert.True(Math.Abs(weights[i] - expected) <= 1e-5, $"weight {i}: {weights[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void A_block_that_only_ties_the_maximum_keeps_it(int length)
    {
        var random = new Random(100 + length);
        float runningMax = 2.5f, runningSum = 3;
        float[] scores = Enumerable.Range(0, length).Select(_ => 2.5f - 5 * random.NextSingle()).ToArray();
        scores[length / 2] = 2.5f;

        float alpha = GqaSimd.SoftmaxBlock(scores, ref runningMax, ref runningSum);

        Assert.Equal(1f, alpha);
        Assert.Equal(2.5f, runningMax);
        Assert.Equal(1f, scores[length / 2]);
        Assert.All(scores, p => Assert.InRange(p, 0f, 1f));
        Assert.True(Math.Abs(runningSum - (3 + scores.Sum())) <= 1e-6 * runningSum);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Masked_positions_weigh_nothing_on_either_branch(int length)
    {
        foreach (float startMax in new[] { float.NegativeInfinity, 10f })
        {
            float runningMax = startMax, runningSum = startMax == 10f ? 1 : 0;
            float[] scores = Enumerable.Range(0, length).Select(i => i % 3 == 1 ? float.NegativeInfinity : i * 0.25f).ToArray();

            GqaSimd.SoftmaxBlock(scores, ref runningMax, ref runningSum);

            for (int i = 0; i < length; i++)
            {
                if (i % 3 == 1)
                    Assert.Equal(0f, scores[i]);
                else
                    Assert.True(scores[i] > 0 && scores[i] <= 1, $"score {i} became {scores[i]}");
            }
            Assert.True(float.IsFinite(runningSum));
        }
    }

    /// <summary>The general step's results where the check must send a block to it: a NaN score (the maximum becomes
    /// NaN, as IEEE maximum and <see cref="MathF.Max"/> make it), a running maximum that is not finite, and an
    /// all-masked first block. The same on every path.</summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void Blocks_the_check_cannot_keep_give_the_general_steps_results(int length)
    {
        // A NaN score below a finite maximum: every weight, the maximum, the sum and the factor become NaN.
        float[] scores = Enumerable.Range(0, length).Select(i => -(float)i).ToArray();
        scores[length - 1] = float.NaN;
        (float[] weights, float max, float sum, float alpha) = Step(scores, 5f, 2f);
        Assert.All(weights, w => Assert.True(float.IsNaN(w)));
        Assert.True(float.IsNaN(max) && float.IsNaN(sum) && float.IsNaN(alpha), $"NaN score: max {max}, sum {sum}, alpha {alpha}");

        // A running maximum of +∞: the factor and the sum are NaN, the weights of finite scores 0. Of NaN: NaN.
        scores = Enumerable.Range(0, length).Select(i => -(float)i).ToArray();
        (weights, max, sum, alpha) = Step(scores, float.PositiveInfinity, 2f);
        Assert.Equal(float.PositiveInfinity, max);
        Assert.True(float.IsNaN(alpha) && float.IsNaN(sum), $"+∞ maximum: alpha {alpha}, sum {sum}");
        Assert.All(weights, w => Assert.Equal(0f, w));
        (_, max, _, alpha) = Step(scores, float.NaN, 2f);
        Assert.True(float.IsNaN(max) && float.IsNaN(alpha), $"NaN maximum: max {max}, alpha {alpha}");

        // A first block whose positions are all masked: the maximum stays −∞ and the factor is NaN (−∞ − −∞).
        scores = Enumerable.Repeat(float.NegativeInfinity, length).ToArray();
        (weights, max, _, alpha) = Step(scores, float.NegativeInfinity, 0f);
        Assert.Equal(float.NegativeInfinity, max);
        Assert.True(float.IsNaN(alpha), $"all-masked first block: alpha {alpha}");
    }

    private static (float[] Weights, float Max, float Sum, float Alpha) Step(float[] scores, float runningMax, float runningSum)
    {
        float[] weights = (float[])scores.Clone();
        float alpha = GqaSimd.SoftmaxBlock(weights, ref runningMax, ref runningSum);
        return (weights, runningMax, runningSum, alpha);
    }
}
