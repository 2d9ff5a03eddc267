using GqaGen.Llama.Tests.Support;
using GqaGen.Llama;
using Xunit.Abstractions;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// A session's KV cache in each storage type (<see cref="LlamaModelOptions.KvElementType"/>): its size, how far its
/// rounding moves the logits from an fp32 cache's, that the generated kernel reads the rounded cache as the generic one
/// does, that a cache of any type can be resumed, and the option's validation and default.
/// </summary>
public sealed class KvStorageTests(ITestOutputHelper output)
{
    private static readonly KvElementType[] StorageTypes = Enum.GetValues<KvElementType>();

    /// <summary>Every storage type on the layouts with a generated kernel (GQA, MQA, MHA), Q8_0 weights, and the layout
    /// only the generic kernel runs.</summary>
    public static TheoryData<string, KvElementType> Cases()
    {
        var data = new TheoryData<string, KvElementType>();
        foreach (string model in new[] { "Gqa", "Mqa", "Mha", "Gqa.Q8_0", "Unannotated" })
            foreach (KvElementType type in StorageTypes)
                data.Add(model, type);
        return data;
    }

    /// <summary>The generated-kernel models of <see cref="Cases"/> only (the generic-vs-generated comparison).</summary>
    public static TheoryData<string, KvElementType> GeneratedCases()
    {
        var data = new TheoryData<string, KvElementType>();
        foreach (string model in new[] { "Gqa", "Mqa", "Mha", "Gqa.Q8_0" })
            foreach (KvElementType type in StorageTypes)
                data.Add(model, type);
        return data;
    }

    /// <summary>Bytes of one K or V row of <paramref name="headDim"/> elements, written out independently of
    /// <see cref="KvElementTypeExtensions.RowBytes"/>: 4 or 2 bytes an element, or for Q8_0 whole 34-byte blocks of 32
    /// elements (ggml's <c>block_q8_0</c>: a half scale and 32 signed bytes), the last one zero-padded.</summary>
    private static int ExpectedRowBytes(KvElementType type, int headDim) => type switch
    {
        KvElementType.Float32 => 4 * headDim,
        KvElementType.Float16 or KvElementType.BFloat16 => 2 * headDim,
        KvElementType.Q8_0 => (headDim + 31) / 32 * 34,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Session_cache_has_the_type_and_size_and_generation_reports_them(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        using var file = TestModels.Open(spec);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = type });
        const int capacity = 40;
        long expected = 2L * spec.Layers * spec.KvGroups * capacity * ExpectedRowBytes(type, spec.HeadDim);

        using (var session = llama.CreateSession(capacity))
        {
            Assert.Equal(type, session.Cache.ElementType);
            Assert.Equal(ExpectedRowBytes(type, spec.HeadDim), session.Cache.RowBytes);
            Assert.Equal(capacity, session.Cache.Capacity);
            Assert.Equal(expected, session.Cache.SizeInBytes);
        }

        var result = new TextGenerator(llama).Generate("Hello, world",
            new GenerationOptions { MaxTokens = 4, StopAtEndOfSequence = false, ContextLength = capacity });
        Assert.Equal(4, result.GeneratedTokens.Count);
        Assert.Equal(expected, result.KvCacheBytes);
        Assert.Equal(expected * spec.Heads / spec.KvGroups, result.MhaKvCacheBytes);
        if (spec.Heads == spec.KvGroups)
            Assert.Equal(result.KvCacheBytes, result.MhaKvCacheBytes);
    }

    /// <summary>
    /// Decoding <see cref="TestModels.SequenceLength"/> tokens one by one with each storage type, against the same model
    /// with an fp32 cache, as the normwise relative error <c>max|a − b| / max|b|</c> per position.
    /// </summary>
    /// <remarks>
    /// <para>Measured worst errors over the 44 positions, per model (Gqa, Mqa, Mha, Gqa.Q8_0, Unannotated), within a few
    /// percent of each other on the AVX-512, AVX2 and scalar paths (2-core Zen 5 VM, 2026-12): fp32 0 (the same cache, bit for
    /// bit); f16 1.0e-3 to 1.2e-3; bf16 7.7e-3 to 1.2e-2; q8_0 1.7e-2 to 3.0e-2 (16-element heads fill half a 32-element
    /// block, and a block's step is its largest magnitude / 127).</para>
    /// <para>Each type must land in a window (<see cref="ErrorWindow"/>): at most about 3.5 × its worst, so a kernel
    /// that misread the stored form (a wrong scale, a wrong block stride, another type's widening) would fail, and at
    /// least a quarter to a tenth of its best, so a cache that silently kept more precision than its type (f16 stored
    /// as fp32, bf16 as f16) would fail too.</para>
    /// </remarks>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_stay_close_to_an_fp32_cache(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 100);
        float[][] reference = DecodeAll(spec, new LlamaModelOptions { KvElementType = KvElementType.Float32 }, tokens);
        float[][] stored = DecodeAll(spec, new LlamaModelOptions { KvElementType = type }, tokens);

        double worst = 0;
        for (int p = 0; p < tokens.Length; p++)
            worst = Math.Max(worst, LogitsAssert.RelativeError(stored[p], reference[p]));
        output.WriteLine($"{model}, {type} cache: worst relative error against fp32 over {tokens.Length} positions {worst:E2}");

        (double floor, double bound) = ErrorWindow(type);
        Assert.True(worst <= bound, $"{model}, {type}: logits moved {worst:E2} from the fp32 cache's, over the bound {bound:E0}");
        Assert.True(worst >= floor, $"{model}, {type}: logits moved only {worst:E2} from the fp32 cache's, under {floor:E0}: is the cache rounding at all?");
    }

    /// <summary>The least and most a storage type's rounding may move the logits (see
    /// <see cref="Logits_stay_close_to_an_fp32_cache"/>'s remarks for the measured figures).</summary>
    private static (double Floor, double Bound) ErrorWindow(KvElementType type) => type switch
    {
        KvElementType.Float32 => (0, 0),
        KvElementType.Float16 => (1e-4, 4e-3),
        KvElementType.BFloat16 => (2e-3, 4e-2),
        KvElementType.Q8_0 => (4e-3, 1e-1),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The generated kernel against the generic one on one and the same rounded cache (filled by a session of the
    /// model in storage <paramref name="type"/>): for every layer, and attended ranges around the 16- and 32-position
    /// tiles, both decode the same query over the same stored K/V, so only the kernels' float arithmetic separates them.
    /// </summary>
    /// <remarks>Measured worst normwise relative errors of the attention outputs (2-core Zen 5 VM, 2026-12): 0, bit for
    /// bit, on the AVX-512 and scalar paths; 1.9e-7 to 3.9e-7 on the AVX2 path (<c>DOTNET_EnableAVX512=0</c>), every
    /// model and storage type. The bound is 1e-5.</remarks>
    [Theory]
    [MemberData(nameof(GeneratedCases))]
    public void Generated_kernel_reads_a_rounded_cache_as_the_generic_kernel(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 200);
        using var file = TestModels.Open(spec);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = type });
        GqaAttention generated = llama.Attention, generic = GqaAttention.Generic(llama.Config.Shape);
        Assert.True(generated.IsGenerated, generated.Description);
        using var session = llama.CreateSession(tokens.Length);
        session.Prefill(tokens);

        GqaShape shape = llama.Config.Shape;
        var random = new Random(spec.Seed);
        var query = new float[shape.QueryLength];
        var fromGenerated = new float[shape.QueryLength];
        var fromGeneric = new float[shape.QueryLength];
        double worst = 0;
        for (int layer = 0; layer < spec.Layers; layer++)
        {
            foreach (int end in new[] { 1, 15, 16, 17, 31, 32, 33, tokens.Length })
            {
                foreach (int start in new[] { 0, end / 3 })
                {
                    for (int i = 0; i < query.Length; i++)
                        query[i] = (float)(random.NextDouble() * 4 - 2);
                    generated.Decode(query, session.Cache, layer, new KvRange(start, end), fromGenerated);
                    generic.Decode(query, session.Cache, layer, new KvRange(start, end), fromGeneric);
                    double error = LogitsAssert.RelativeError(fromGenerated, fromGeneric);
                    Assert.True(error <= 1e-5, $"{model}, {type}, layer {layer}, positions {start}..{end}: generated and generic outputs differ by {error:E2}");
                    worst = Math.Max(worst, error);
                }
            }
        }
        output.WriteLine($"{model}, {type} cache: generated vs generic kernel on the same cache, worst relative error {worst:E2}");
    }

    /// <summary>
    /// A session with the generated kernel against one with the generic kernel, both with storage <paramref name="type"/>.
    /// </summary>
    /// <remarks>
    /// <para>Layer 0's keys and values depend on the tokens and weights alone, so both sessions must store the same
    /// bytes there: the generated append rounds exactly as the generic one. From layer 1 on, K/V come from the previous
    /// layer's attention output, which the two kernels round differently in the last bits; with a rounded cache such a
    /// difference can flip one element's rounding (a whole bf16 or f16 step), so the logits are not bound as tightly
    /// as the kernels are (<see cref="Generated_kernel_reads_a_rounded_cache_as_the_generic_kernel"/>, and the
    /// one-layer case below).</para>
    /// <para>Measured worst relative errors over 44 positions (2-core Zen 5 VM, 2026-12): 0 (bit for bit) for every
    /// case on the AVX-512 and the scalar (<c>DOTNET_EnableHWIntrinsic=0</c>) paths; on the AVX2 path
    /// (<c>DOTNET_EnableAVX512=0</c>) 5e-7 to 8e-7 with fp32 and q8_0 caches, 3.4e-6 to 4.7e-6 with f16, and on the MHA
    /// model 1.0e-5 (f16) and 3.6e-5 (bf16), the rounding flips above. The bound for two or more layers, 2e-4, is 5 ×
    /// the worst of those and 5 × below the smallest storage error (f16's 1e-3 in
    /// <see cref="Logits_stay_close_to_an_fp32_cache"/>), so a kernel that read another storage type than the one it
    /// was given would fail it; with one layer no rounding flip can arise and the bound is 1e-5.</para>
    /// </remarks>
    [Theory]
    [MemberData(nameof(GeneratedCases))]
    public void Generated_kernel_session_matches_generic_kernel_session_on_the_same_storage(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        SessionsAgree(spec, type, bound: 2e-4, $"{model}");
        SessionsAgree(spec with { Layers = 1 }, type, bound: 1e-5, $"{model} with one layer");
    }

    private void SessionsAgree(SyntheticLlamaSpec spec, KvElementType type, double bound, string name)
    {
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 200);
        using var file = TestModels.Open(spec);
        using var generated = LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Auto, KvElementType = type });
        using var generic = LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Generic, KvElementType = type });
        Assert.True(generated.Attention.IsGenerated, generated.Attention.Description);
        Assert.False(generic.Attention.IsGenerated, generic.Attention.Description);

        using var a = generated.CreateSession(tokens.Length);
        using var b = generic.CreateSession(tokens.Length);
        double worst = 0;
        for (int p = 0; p < tokens.Length; p++)
        {
            double error = LogitsAssert.RelativeError(a.Decode(tokens[p]), b.Decode(tokens[p]));
            Assert.True(error <= bound, $"{name}, {type}, position {p}: generated and generic sessions' logits differ by {error:E2}, over {bound:E0}");
            worst = Math.Max(worst, error);
        }
        output.WriteLine($"{name}, {type} cache: generated vs generic session worst relative error {worst:E2}");

        Assert.True(a.Cache.KeyBytes(0).SequenceEqual(b.Cache.KeyBytes(0)), $"{name}, {type}: layer 0 keys stored differently");
        Assert.True(a.Cache.ValueBytes(0).SequenceEqual(b.Cache.ValueBytes(0)), $"{name}, {type}: layer 0 values stored differently");
    }

    /// <summary>A cache filled by one session continues in another, whatever its storage type and whatever storage the
    /// resuming model's options name: the cache's own type is what is read.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ResumeSession_continues_a_cache_of_any_type(string model, KvElementType type)
    {
        var spec = TestModels.Named(model);
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: spec.Seed + 300);
        const int prompt = 20;
        using var file = TestModels.Open(spec);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = type });
        // Another storage type than the cache's, so a session that followed the options instead of the cache would misread it.
        KvElementType other = type == KvElementType.Q8_0 ? KvElementType.Float32 : KvElementType.Q8_0;
        using var resumer = LlamaModel.Load(file, new LlamaModelOptions { KvElementType = other });

        // The reference: one session runs the prompt and then the rest.
        using var whole = llama.CreateSession(tokens.Length);
        whole.Prefill(tokens.AsSpan(0, prompt));
        var expected = new float[tokens.Length][];
        for (int p = prompt; p < tokens.Length; p++)
            expected[p] = whole.Decode(tokens[p]).ToArray();

        using var cache = new KvCache(llama.Config.Shape, llama.Config.Layers, tokens.Length, type);
        using (var first = llama.ResumeSession(cache, 0))
            first.Prefill(tokens.AsSpan(0, prompt));
        foreach (LlamaModel continuing in new[] { llama, resumer })
        {
            using var resumed = continuing.ResumeSession(cache, prompt);
            Assert.Same(cache, resumed.Cache);
            Assert.Equal(type, resumed.Cache.ElementType);
            Assert.Equal(prompt, resumed.Position);
            for (int p = prompt; p < tokens.Length; p++)
                Assert.Equal(expected[p], resumed.Decode(tokens[p]).ToArray());
        }
        Assert.False(cache.IsDisposed); // a resumed session does not own the cache
    }

    [Fact]
    public void Options_reject_an_undefined_storage_type_naming_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LlamaModelOptions { KvElementType = (KvElementType)4 });
        Assert.Equal(nameof(LlamaModelOptions.KvElementType), e.ParamName);
        Assert.Equal((KvElementType)4, e.ActualValue);
        foreach (string name in Enum.GetNames<KvElementType>())
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LlamaModelOptions { KvElementType = (KvElementType)(-1) });
    }

    [Fact]
    public void Default_storage_is_Float16_as_llama_cpp()
    {
        Assert.Equal(KvElementType.Float16, new LlamaModelOptions().KvElementType);
        using var file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        Assert.Equal(KvElementType.Float16, llama.Options.KvElementType);
        using var session = llama.CreateSession(8);
        Assert.Equal(KvElementType.Float16, session.Cache.ElementType);
        var result = new TextGenerator(llama).Generate("Hi", new GenerationOptions { MaxTokens = 2, StopAtEndOfSequence = false, ContextLength = 8 });
        Assert.Equal(2L * TestModels.Gqa.Layers * TestModels.Gqa.KvGroups * 8 * (2 * TestModels.Gqa.HeadDim), result.KvCacheBytes);
    }

    /// <summary>Each token's logits, decoded one at a time from position 0 by a fresh model and session.</summary>
    private static float[][] DecodeAll(SyntheticLlamaSpec spec, LlamaModelOptions options, int[] tokens)
    {
        using var file = TestModels.Open(spec);
        using var llama = LlamaModel.Load(file, options);
        using var session = llama.CreateSession(tokens.Length);
        var logits = new float[tokens.Length][];
        for (int p = 0; p < tokens.Length; p++)
            logits[p] = session.Decode(tokens[p]).ToArray();
        return logits;
    }
}
