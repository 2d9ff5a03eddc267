using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>The sampler draws from the distribution its options describe: counted over many seeded draws.</summary>
public sealed class TokenSamplerTests
{
    private const int Draws = 20_000;

    // Probabilities 0.4, 0.3, 0.2, 0.1 at temperature 1, with the tokens shuffled so order is not index order.
    private static readonly float[] Logits = [MathF.Log(0.2f), MathF.Log(0.4f), MathF.Log(0.1f), MathF.Log(0.3f)];

    [Fact]
    public void Temperature_samples_the_softmax()
    {
        double[] frequency = Frequencies(new SamplingOptions { Temperature = 1f, Seed = 5 });
        double[] expected = [0.2, 0.4, 0.1, 0.3];
        for (int i = 0; i < 4; i++)
            Assert.InRange(frequency[i], expected[i] - 0.02, expected[i] + 0.02);
    }

    [Fact]
    public void TopK_keeps_only_the_k_most_likely_renormalized()
    {
        double[] frequency = Frequencies(new SamplingOptions { Temperature = 1f, TopK = 2, Seed = 6 });
        Assert.Equal(0, frequency[0]);
        Assert.Equal(0, frequency[2]);
        Assert.InRange(frequency[1], 4.0 / 7 - 0.02, 4.0 / 7 + 0.02); // 0.4 / (0.4 + 0.3)
        Assert.InRange(frequency[3], 3.0 / 7 - 0.02, 3.0 / 7 + 0.02);
    }

    [Fact]
    public void TopP_keeps_the_smallest_nucleus_reaching_p()
    {
        // 0.4 < 0.5 ≤ 0.4 + 0.3: the nucleus is the two most likely tokens.
        double[] frequency = Frequencies(new SamplingOptions { Temperature = 1f, TopP = 0.5f, Seed = 7 });
        Assert.Equal(0, frequency[0]);
        Assert.Equal(0, frequency[2]);
        Assert.InRange(frequency[1], 4.0 / 7 - 0.02, 4.0 / 7 + 0.02);
    }

    [Fact]
    public void TopK_on_a_large_vocabulary_matches_a_full_sort()
    {
        var random = new Random(8);
        float[] logits = Enumerable.Range(0, 50_000).Select(_ => (float)(random.NextDouble() * 10)).ToArray();
        int[] topFive = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(5).Select(x => x.i).ToArray();
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1f, TopK = 5, Seed = 9 });
        var seen = new HashSet<int>();
        for (int i = 0; i < 2_000; i++)
            seen.Add(sampler.Sample(logits));
        Assert.Subset(topFive.ToHashSet(), seen);
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public void Same_seed_gives_the_same_draws_and_another_seed_other_draws()
    {
        int[] Run(int seed)
        {
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 1f, TopK = 3, TopP = 0.95f, Seed = seed });
            return Enumerable.Range(0, 200).Select(_ => sampler.Sample(Logits)).ToArray();
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Greedy_is_ArgMax_and_NaN_never_wins()
    {
        var greedy = new TokenSampler(SamplingOptions.Greedy);
        Assert.Equal(1, greedy.Sample(Logits));
        Assert.Equal(2, greedy.Sample([float.NaN, 1f, 3f, float.NaN]));
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Temperature = 1f, Seed = 1 }).Sample([float.NaN, 0f, float.NegativeInfinity]));
    }

    [Fact]
    public void Sample_picks_the_largest_logit_when_one_is_infinite_or_the_temperature_is_tiny()
    {
        float[] logits = [0.5f, float.PositiveInfinity, 0f, 0f];
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Temperature = 1f, Seed = 1 }).Sample(logits));

        float[] finite = [3f, 0f, 1f, 2f];
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Temperature = 1e-39f, Seed = 1 }).Sample(finite));
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Temperature = 1e-39f, TopK = 3, TopP = 0.9f, Seed = 1 }).Sample(finite));
    }

    private static double[] Frequencies(SamplingOptions options)
    {
        var sampler = new TokenSampler(options);
        var counts = new double[Logits.Length];
        for (int i = 0; i < Draws; i++)
            counts[sampler.Sample(Logits)]++;
        return counts.Select(c => c / Draws).ToArray();
    }
}
