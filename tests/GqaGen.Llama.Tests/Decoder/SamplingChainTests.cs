using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Repetition penalty and min-p, with llama.cpp's semantics and its order of the chain (penalty → top-k → top-p →
/// min-p → temperature), on crafted logits whose answer is known, and in generation.</summary>
public sealed class SamplingChainTests
{
    private static readonly Random Random = new(Environment.TickCount);

    [Fact]
    public void Repetition_penalty_divides_a_positive_logit_and_changes_the_argmax()
    {
        for (int trial = 0; trial < 100; trial++)
        {
            // Token a leads token b by a factor within (1, 1.2); a penalty above that factor must hand the argmax to b.
            float[] logits = RandomLogits(50, low: -3, high: 0.5f);
            (int a, int b) = TwoDistinct(logits.Length);
            logits[b] = 1 + 2 * Random.NextSingle();
            float lead = 1 + 0.01f + 0.18f * Random.NextSingle();
            logits[a] = logits[b] * lead;
            float penalty = lead * 1.05f;

            Assert.Equal(a, Greedy(logits, penalty, recent: []));
            Assert.Equal(b, Greedy(logits, penalty, recent: [a]));
            Assert.Equal(a, Greedy(logits, penalty, recent: [b])); // penalizing b only widens a's lead
            Assert.Equal(a, Greedy(logits, 1f, recent: [a]));      // 1 = off
        }
    }

    [Fact]
    public void Repetition_penalty_multiplies_a_negative_logit()
    {
        for (int trial = 0; trial < 100; trial++)
        {
            // All negative: a = −x leads b = −x·lead. Multiplying a by a penalty above lead drops it below b; dividing
            // (the rule for positive logits) would raise it instead, and a would still win.
            float[] logits = RandomLogits(30, low: -12, high: -8);
            (int a, int b) = TwoDistinct(logits.Length);
            logits[a] = -(1 + 3 * Random.NextSingle());
            float lead = 1.02f + 0.2f * Random.NextSingle();
            logits[b] = logits[a] * lead;
            Assert.Equal(a, Greedy(logits, 1f, recent: [a]));
            Assert.Equal(b, Greedy(logits, lead * 1.05f, recent: [a]));
        }
    }

    [Fact]
    public void Repetition_penalty_counts_a_repeated_token_once_and_looks_only_at_the_last_n()
    {
        // a = 2 leads b = 2 / 1.1 − ε: penalized once (÷ 1.1) a still leads; penalized twice it would not.
        float[] logits = RandomLogits(20, low: -2, high: 0);
        (int a, int b) = TwoDistinct(logits.Length);
        logits[a] = 2f;
        logits[b] = 2f / 1.1f - 0.01f;
        Assert.Equal(a, Greedy(logits, 1.1f, recent: [a, a, a]));

        // Now a penalty that does hand the argmax to b, with a window of 4: a counts while among the last 4 accepted.
        var options = new SamplingOptions { RepetitionPenalty = 1.5f, RepetitionPenaltyLastN = 4 };
        var sampler = new TokenSampler(options);
        int other = Enumerable.Range(0, logits.Length).First(t => t != a && t != b);
        sampler.Accept(a);
        for (int i = 0; i < 3; i++)
        {
            sampler.Accept(other);
            Assert.Equal(b, sampler.Sample(logits));
        }
        sampler.Accept(other); // a is now 5th from the end
        Assert.Equal(a, sampler.Sample(logits));

        // A window of 0 turns the penalty off.
        var off = new TokenSampler(options with { RepetitionPenaltyLastN = 0 });
        off.Accept(a);
        Assert.Equal(a, off.Sample(logits));
    }

    [Fact]
    public void Min_p_keeps_exactly_the_tokens_within_min_p_of_the_most_likely_judged_before_the_temperature()
    {
        for (int trial = 0; trial < 10; trial++)
        {
            float[] logits = RandomLogits(40, low: -4, high: 4);
            float minP = 0.05f + 0.4f * Random.NextSingle();
            double max = logits.Max();
            // p_i / p_max = exp(l_i − l_max) at temperature 1. Skip logits too near the threshold for float rounding.
            if (logits.Any(l => Math.Abs(Math.Exp(l - max) - minP) < 1e-4))
                continue;
            var expected = Enumerable.Range(0, logits.Length).Where(i => Math.Exp(logits[i] - max) >= minP).ToHashSet();

            // A high temperature flattens the draw over the kept tokens, so every one of them shows up; had the temperature
            // come first, every token would be within min-p of the top and all 40 would.
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 50f, MinP = minP, Seed = trial });
            var seen = new HashSet<int>();
            for (int i = 0; i < 4_000; i++)
                seen.Add(sampler.Sample(logits));
            Assert.True(expected.SetEquals(seen), $"min-p {minP}: expected {{{string.Join(",", expected.Order())}}}, drew {{{string.Join(",", seen.Order())}}}");
        }
    }

    [Fact]
    public void Top_p_judges_the_probabilities_at_temperature_1_and_min_p_follows_it()
    {
        // Probabilities 0.4, 0.3, 0.2, 0.1 (tokens 1, 3, 0, 2): top-p 0.65 keeps {1, 3} at temperature 1. At temperature 100
        // the probabilities would be nearly equal and the nucleus would need three tokens.
        float[] logits = [MathF.Log(0.2f), MathF.Log(0.4f), MathF.Log(0.1f), MathF.Log(0.3f)];
        Assert.Equal([1, 3], Draws(new SamplingOptions { Temperature = 100f, TopP = 0.65f, Seed = 3 }, logits));
        // Top-p 0.95 keeps all four; min-p 0.6 then keeps 3 (0.3 / 0.4 = 0.75) and drops 0 (0.5) and 2 (0.25).
        Assert.Equal([1, 3], Draws(new SamplingOptions { Temperature = 100f, TopP = 0.95f, MinP = 0.6f, Seed = 3 }, logits));
        // Min-p 0.45 alone keeps {1, 3, 0} (0.2 / 0.4 = 0.5 ≥ 0.45); after top-k 2, only {1, 3} are left to judge.
        Assert.Equal([0, 1, 3], Draws(new SamplingOptions { Temperature = 100f, MinP = 0.45f, Seed = 3 }, logits));
        Assert.Equal([1, 3], Draws(new SamplingOptions { Temperature = 100f, TopK = 2, MinP = 0.45f, Seed = 3 }, logits));
    }

    [Fact]
    public void Seeded_draws_with_every_step_on_repeat_exactly()
    {
        var options = new SamplingOptions { Temperature = 0.8f, TopK = 30, TopP = 0.9f, MinP = 0.02f, RepetitionPenalty = 1.3f, RepetitionPenaltyLastN = 8, Seed = 17 };
        float[][] steps = Enumerable.Range(0, 200).Select(_ => RandomLogits(100, -3, 3)).ToArray();
        int[] Run(SamplingOptions o)
        {
            var sampler = new TokenSampler(o);
            return steps.Select(l => { int t = sampler.Sample(l); sampler.Accept(t); return t; }).ToArray();
        }
        Assert.Equal(Run(options), Run(options));
        Assert.NotEqual(Run(options), Run(options with { Seed = 18 }));
    }

    [Fact]
    public void Generation_applies_the_penalty_over_the_prompt_and_the_generated_tokens()
    {
        using var file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = KvElementType.Float32 });
        // A long prompt and window, so that the prompt covers a good part of the vocabulary and its penalty matters.
        int[] prompt = TestModels.RandomTokens(160, llama.Config.VocabularySize, seed: Random.Next());
        var sampling = new SamplingOptions { RepetitionPenalty = 1.6f, RepetitionPenaltyLastN = 200 };
        var options = new GenerationOptions { MaxTokens = 24, StopAtEndOfSequence = false, Sampling = sampling };
        GenerationResult penalized = new TextGenerator(llama).Generate(prompt, options);
        GenerationResult plain = new TextGenerator(llama).Generate(prompt, options with { Sampling = SamplingOptions.Greedy });

        // The reference: greedy decoding on a session, penalizing by hand each distinct token among the last 200 of
        // prompt + generated.
        using var session = llama.CreateSession(prompt.Length + options.MaxTokens);
        var history = new List<int>(prompt);
        float[] logits = session.Prefill(prompt).ToArray();
        var expected = new List<int>();
        for (int step = 0; step < options.MaxTokens; step++)
        {
            foreach (int t in history.TakeLast(200).Distinct())
                logits[t] = logits[t] > 0 ? logits[t] / 1.6f : logits[t] * 1.6f;
            int token = TokenSampler.ArgMax(logits);
            expected.Add(token);
            history.Add(token);
            if (step + 1 < options.MaxTokens)
                logits = session.Decode(token).ToArray();
        }
        Assert.Equal(expected, penalized.GeneratedTokens);
        Assert.NotEqual(plain.GeneratedTokens, penalized.GeneratedTokens); // the penalty mattered here
    }

    [Fact]
    public void New_options_reject_bad_values_naming_them()
    {
        AssertRejects(nameof(SamplingOptions.MinP), -0.1f, () => new SamplingOptions { MinP = -0.1f });
        AssertRejects(nameof(SamplingOptions.MinP), 1.5f, () => new SamplingOptions { MinP = 1.5f });
        AssertRejects(nameof(SamplingOptions.MinP), float.NaN, () => new SamplingOptions { MinP = float.NaN });
        AssertRejects(nameof(SamplingOptions.RepetitionPenalty), 0f, () => new SamplingOptions { RepetitionPenalty = 0f });
        AssertRejects(nameof(SamplingOptions.RepetitionPenalty), -1.1f, () => new SamplingOptions { RepetitionPenalty = -1.1f });
        AssertRejects(nameof(SamplingOptions.RepetitionPenalty), float.PositiveInfinity, () => new SamplingOptions { RepetitionPenalty = float.PositiveInfinity });
        AssertRejects(nameof(SamplingOptions.RepetitionPenalty), float.NaN, () => new SamplingOptions { RepetitionPenalty = float.NaN });
        AssertRejects(nameof(SamplingOptions.RepetitionPenaltyLastN), -1, () => new SamplingOptions { RepetitionPenaltyLastN = -1 });

        var defaults = new SamplingOptions();
        Assert.Equal((1f, 64, 0f), (defaults.RepetitionPenalty, defaults.RepetitionPenaltyLastN, defaults.MinP));
        Assert.False(defaults.HasRepetitionPenalty);
    }

    private static void AssertRejects(string name, object value, Func<SamplingOptions> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => create());
        Assert.Equal(name, e.ParamName);
        Assert.Equal(value, e.ActualValue);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    private static int Greedy(float[] logits, float penalty, int[] recent)
    {
        var sampler = new TokenSampler(new SamplingOptions { RepetitionPenalty = penalty });
        foreach (int token in recent)
            sampler.Accept(token);
        return sampler.Sample(logits);
    }

    private static int[] Draws(SamplingOptions options, float[] logits)
    {
        var sampler = new TokenSampler(options);
        var seen = new SortedSet<int>();
        for (int i = 0; i < 2_000; i++)
            seen.Add(sampler.Sample(logits));
        return [.. seen];
    }

    private static float[] RandomLogits(int count, float low, float high)
        => Enumerable.Range(0, count).Select(_ => low + (high - low) * Random.NextSingle()).ToArray();

    private static (int, int) TwoDistinct(int count)
    {
        int a = Random.Next(count), b;
        do b = Random.Next(count); while (b == a);
        return (a, b);
    }
}
