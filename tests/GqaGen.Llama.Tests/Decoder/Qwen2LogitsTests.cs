using GqaGen.Gguf;
using GqaGen.Llama.Tests.Reference;
using GqaGen.Llama.Tests.Support;
using Xunit.Abstractions;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// <c>qwen2</c> models against the oracle (<see cref="NaiveLlama"/>, which adds the Q/K/V biases and rotates halves as
/// llama.cpp's build_qwen2 does) at every position, decoded token by token and prefilled in chunks, within
/// <see cref="LogitsMatchOracleTests.Bound"/>; and the two things that set qwen2 apart each shown to matter.
/// </summary>
public sealed class Qwen2LogitsTests(ITestOutputHelper output)
{
    public static TheoryData<string, GqaKernelChoice> Cases() => new()
    {
        { "Gqa", GqaKernelChoice.Auto },
        { "Gqa", GqaKernelChoice.Generic },
        { "Mha", GqaKernelChoice.Auto },
        { "Mqa", GqaKernelChoice.Auto },
        { "Mqa", GqaKernelChoice.Generic },
        { "Gqa.F16", GqaKernelChoice.Auto },
        { "Gqa.Q8_0", GqaKernelChoice.Auto },
        { "Mqa.Q8_0", GqaKernelChoice.Auto },
    };

    private static LlamaModelOptions Options(GqaKernelChoice kernel = GqaKernelChoice.Auto) =>
        new() { Kernel = kernel, KvElementType = KvElementType.Float32 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_matches_oracle_at_every_position(string model, GqaKernelChoice kernel)
    {
        var spec = Qwen2Models.Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 100);
        double[][] expected = TestModels.OracleLogits(spec, tokens);

        using var file = TestModels.Open(spec);
        using var qwen = LlamaModel.Load(file, Options(kernel));
        Assert.Equal("qwen2", qwen.Config.ArchitectureName);
        using var session = qwen.CreateSession(tokens.Length);
        double worst = 0;
        for (int p = 0; p < tokens.Length; p++)
            worst = Math.Max(worst, LogitsAssert.Close(session.Decode(tokens[p]), expected[p], LogitsMatchOracleTests.Bound, $"qwen2 {model} position {p}"));
        output.WriteLine($"qwen2 {model} ({qwen.Attention.Description}): worst relative error {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prefill_matches_oracle_and_decode_continues_from_it(string model, GqaKernelChoice kernel)
    {
        var spec = Qwen2Models.Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 200);
        double[][] expected = TestModels.OracleLogits(spec, tokens);

        using var file = TestModels.Open(spec);
        using var qwen = LlamaModel.Load(file, Options(kernel));
        using var session = qwen.CreateSession(tokens.Length);
        // More than one prefill chunk, so the batched path (biases added to every row) runs twice.
        LogitsAssert.Close(session.Prefill(tokens), expected[^1], LogitsMatchOracleTests.Bound, $"qwen2 {model} prefill of {tokens.Length}");

        session.Reset();
        const int split = 23;
        LogitsAssert.Close(session.Prefill(tokens.AsSpan(0, split)), expected[split - 1], LogitsMatchOracleTests.Bound, $"qwen2 {model} prefill of {split}");
        for (int p = split; p < tokens.Length; p++)
            LogitsAssert.Close(session.Decode(tokens[p]), expected[p], LogitsMatchOracleTests.Bound, $"qwen2 {model} decode at {p} after prefill");
    }

    [Fact]
    public void Prefill_equals_token_by_token_decoding()
    {
        var spec = Qwen2Models.Mha;
        int[] tokens = TestModels.RandomTokens(40, spec.VocabularySize, seed: Random.Shared.Next());
        using var file = TestModels.Open(spec);
        using var qwen = LlamaModel.Load(file, Options());
        using var batched = qwen.CreateSession(tokens.Length + 1);
        using var stepped = qwen.CreateSession(tokens.Length + 1);

        float[] prefilled = batched.Prefill(tokens).ToArray();
        float[] decoded = [];
        foreach (int token in tokens)
            decoded = stepped.Decode(token).ToArray();
        Assert.True(LogitsAssert.RelativeError(prefilled, decoded) < LogitsMatchOracleTests.Bound,
            $"prefill and token-by-token logits differ by {LogitsAssert.RelativeError(prefilled, decoded):E2}");

        // Both caches now hold the same keys and values: the next token gives the same logits from either.
        int next = tokens[0];
        float[] afterBatched = batched.Decode(next).ToArray(), afterStepped = stepped.Decode(next).ToArray();
        Assert.True(LogitsAssert.RelativeError(afterBatched, afterStepped) < LogitsMatchOracleTests.Bound);
    }

    [Fact]
    public void Interleaved_rope_on_a_qwen2_model_fails_the_oracle()
    {
        // The oracle with llama's adjacent pairs instead of NeoX halves: the decoder must not match it.
        var spec = Qwen2Models.Gqa;
        int[] tokens = TestModels.RandomTokens(12, spec.VocabularySize, seed: 41);
        using var file = TestModels.Open(spec);
        var config = NaiveLlamaConfig.Read(file);
        Assert.True(config.NeoXRope);
        double[][] wrong = new NaiveLlama(file, config with { NeoXRope = false }).Logits(tokens);
        double[][] right = TestModels.OracleLogits(spec, tokens);

        using var qwen = LlamaModel.Load(file, Options());
        using var session = qwen.CreateSession(tokens.Length);
        double worstWrong = 0;
        for (int p = 0; p < tokens.Length; p++)
        {
            ReadOnlySpan<float> logits = session.Decode(tokens[p]);
            LogitsAssert.Close(logits, right[p], LogitsMatchOracleTests.Bound, $"position {p}");
            worstWrong = Math.Max(worstWrong, LogitsAssert.RelativeError(logits, wrong[p]));
        }
        // Position 0 has angle 0 either way; later positions must separate the styles by far more than the bound.
        Assert.True(worstWrong > 100 * LogitsMatchOracleTests.Bound, $"interleaved and NeoX RoPE differ by only {worstWrong:E2}");
        output.WriteLine($"decoder vs. interleaved-RoPE oracle: {worstWrong:E2}");
    }

    [Fact]
    public void The_biases_change_the_logits()
    {
        // Zeroing the biases in the file moves the logits far from the biased model's: the decoder is not ignoring them.
        var spec = Qwen2Models.Gqa;
        int[] tokens = TestModels.RandomTokens(8, spec.VocabularySize, seed: 42);
        double[][] biased = TestModels.OracleLogits(spec, tokens);
        byte[] unbiasedBytes;
        using (var source = TestModels.Open(spec))
        {
            var rewriter = new GgufRewriter(source);
            for (int layer = 0; layer < spec.Layers; layer++)
            {
                rewriter.SetTensor($"blk.{layer}.attn_q.bias", [spec.QueryLength], new float[spec.QueryLength]);
                rewriter.SetTensor($"blk.{layer}.attn_k.bias", [spec.KvLength], new float[spec.KvLength]);
                rewriter.SetTensor($"blk.{layer}.attn_v.bias", [spec.KvLength], new float[spec.KvLength]);
            }
            unbiasedBytes = rewriter.ToArray();
        }
        using var unbiasedFile = GgufFile.Parse(unbiasedBytes);
        double[][] unbiased = NaiveLlama.Logits(unbiasedFile, tokens);
        using var qwen = LlamaModel.Load(unbiasedFile, Options());
        using var session = qwen.CreateSession(tokens.Length);
        double gap = 0;
        for (int p = 0; p < tokens.Length; p++)
        {
            ReadOnlySpan<float> logits = session.Decode(tokens[p]);
            LogitsAssert.Close(logits, unbiased[p], LogitsMatchOracleTests.Bound, $"zero-bias model, position {p}");
            gap = Math.Max(gap, LogitsAssert.RelativeError(logits, biased[p]));
        }
        Assert.True(gap > 100 * LogitsMatchOracleTests.Bound, $"the biases moved the logits by only {gap:E2}");
    }
}
