using System.Diagnostics;
using GqaGen.Llama.Tests.Support;
using GqaGen.Llama;
using Xunit.Abstractions;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// A decode step whose context is long enough for its attention to be split over the model's threads (split-KV,
/// src/Runtime/GqaGen/Parallel/SplitKvDecode.cs) gives the single-threaded logits up to float rounding, and the same
/// bits every time it runs with the same thread count.
/// </summary>
/// <remarks>
/// <see cref="ThreadingTests"/> runs 44 positions, far below the split's threshold, so its decode steps attend on one
/// thread. Here the prompt is long enough for two chunks. The threshold is copied from SplitKvDecode (internal to
/// GqaGen, so not reachable from this assembly): a range is cut into
/// <c>clamp(length / m, 1, threads)</c> chunks with <c>m = max(32, ⌈65,536 / RowBytes⌉)</c>. The test models' heads are
/// 16 elements, so rows are small and m large: fp32 rows of 64 bytes give m = 1,024 (2 chunks from 2,048 positions),
/// q8_0 rows of 34 bytes give m = 1,928 (from 3,856).
/// <para>Measured (2-core Zen 5 VM, 2026-12): 1 vs 2 threads differ by at most 1.1e-6 (Gqa, fp32) and 1.2e-6 (Mqa,
/// q8_0) on the AVX-512 path, 1.3e-6 on AVX2 and 1.6e-6 scalar; the bound is 1e-5. With the split disabled (the
/// threshold raised 1,024-fold in SplitKvDecode) the two agree bit for bit, so the differences are the split's own
/// summation order; the test asserts that some decode step differs, as a sign that the split ran at all (should
/// SplitKvDecode's threshold grow past the prompts here, that check fails first). The three runs of both cases take
/// 2 to 7 s together on this noisy machine (about 20 s on the scalar path).</para>
/// </remarks>
public sealed class ThreadedAttentionTests(ITestOutputHelper output)
{
    /// <summary>SplitKvDecode.MinimumChunkBytesPerGroup: the bytes of one group's rows a chunk streams at least.</summary>
    private const int MinimumChunkBytesPerGroup = 64 * 1024;

    /// <summary>Decode steps after the prompt.</summary>
    private const int DecodeSteps = 6;

    /// <summary>m for rows of <paramref name="rowBytes"/> bytes, as SplitKvDecode.MinimumPositionsPerChunk.</summary>
    private static int MinimumPositionsPerChunk(int rowBytes) => Math.Max(32, (MinimumChunkBytesPerGroup + rowBytes - 1) / rowBytes);

    [Theory]
    [InlineData("Gqa", KvElementType.Float32)]
    [InlineData("Mqa", KvElementType.Q8_0)]
    public void Split_decode_matches_one_thread_and_repeats_bit_for_bit(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        using var file = TestModels.Open(spec);
        using var single = LlamaModel.Load(file, new LlamaModelOptions { Threads = 1, KvElementType = type });
        using var dual = LlamaModel.Load(file, new LlamaModelOptions { Threads = 2, KvElementType = type });
        Assert.True(dual.Attention.IsGenerated, dual.Attention.Description);

        // Two chunks from the first decode step on: the prompt alone reaches twice m.
        int prompt = 2 * MinimumPositionsPerChunk(type.RowBytes(spec.HeadDim)) + 5;
        int[] tokens = TestModels.RandomTokens(prompt + DecodeSteps, spec.VocabularySize, seed: 57);
        var clock = Stopwatch.StartNew();
        float[][] one = Run(single, tokens, prompt);
        float[][] two = Run(dual, tokens, prompt);
        float[][] again = Run(dual, tokens, prompt);
        output.WriteLine($"{model}, {type}: 3 runs of {prompt} prompt + {DecodeSteps} decode positions in {clock.Elapsed.TotalSeconds:F1} s");

        double worst = 0;
        bool anyStepDiffers = false;
        for (int step = 0; step < one.Length; step++)
        {
            double error = LogitsAssert.RelativeError(two[step], one[step]);
            Assert.True(error <= 1e-5, $"{model}, {type}, step {step}: 2-thread logits differ from 1-thread by {error:E2}");
            worst = Math.Max(worst, error);
            anyStepDiffers |= !two[step].AsSpan().SequenceEqual(one[step]);
            Assert.Equal(two[step], again[step]);
        }
        output.WriteLine($"{model}, {type}: 1 vs 2 threads worst relative error {worst:E2}");
        Assert.True(anyStepDiffers,
            $"{model}, {type}: 2 threads gave the 1-thread logits bit for bit at every step, as if no decode step split its "
            + $"{prompt}+ positions; has SplitKvDecode's threshold moved past the m = {MinimumPositionsPerChunk(type.RowBytes(spec.HeadDim))} copied here?");
    }

    /// <summary>Prefills the first <paramref name="prompt"/> tokens, then decodes the rest; returns the prefill's logits and each step's.</summary>
    private static float[][] Run(LlamaModel model, int[] tokens, int prompt)
    {
        using var session = model.CreateSession(tokens.Length);
        var logits = new float[tokens.Length - prompt + 1][];
        logits[0] = session.Prefill(tokens.AsSpan(0, prompt)).ToArray();
        for (int p = prompt; p < tokens.Length; p++)
            logits[p - prompt + 1] = session.Decode(tokens[p]).ToArray();
        return logits;
    }
}
