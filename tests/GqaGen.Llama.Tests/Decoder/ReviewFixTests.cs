using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Edge cases a review of the decoder found: each failed (or crashed) before its fix.</summary>
public sealed class ReviewFixTests
{
    [Fact]
    public void Prefill_WithABadTokenInALaterChunk_RunsNothing()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using LlamaModel model = LlamaModel.Load(file);
        using LlamaSession session = model.CreateSession(64);
        int[] tokens = TestModels.RandomTokens(40, model.Config.VocabularySize, seed: 3);
        tokens[35] = model.Config.VocabularySize; // one past the last id, in the second chunk

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill(tokens));
        Assert.Contains($"{model.Config.VocabularySize}", e.Message);
        Assert.Equal(0, session.Position);
    }

    [Fact]
    public void Sampler_WithAnInfiniteLogitOrATinyTemperature_PicksTheLargest()
    {
        float[] logits = [0.5f, float.PositiveInfinity, 0f, 0f];
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Temperature = 1f, Seed = 1 }).Sample(logits));

        float[] finite = [3f, 0f, 1f, 2f];
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Temperature = 1e-39f, Seed = 1 }).Sample(finite));
        Assert.Equal(0, new TokenSampler(new SamplingOptions { Temperature = 1e-39f, TopK = 3, TopP = 0.9f, Seed = 1 }).Sample(finite));
    }

    [Fact]
    public void Writer_RefusesGeneralAlignment_SoOffsetsAlwaysMatchIt()
    {
        var writer = new GgufWriter();
        Assert.Contains("Alignment", Assert.Throws<ArgumentException>(() => writer.AddUInt32("general.alignment", 64)).Message);

        writer.Alignment = 64;
        writer.AddTensor("t", GgmlType.F32, [3], new byte[12]).AddTensor("u", GgmlType.F32, [1], new byte[4]);
        using GgufFile file = GgufFile.Parse(writer.ToArray());
        Assert.Equal(64, file.Alignment);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.DataOffset % 64));
    }

    [Fact]
    public void Registry_RejectsANullKernel_WithoutRegisteringTheOthers()
    {
        var shape = new GqaShape(12, 3, 24); // a layout nothing in this assembly declares
        var e = Assert.Throws<ArgumentException>(() => GqaKernelRegistry.Register([GqaAttention.Generic(shape), null!]));
        Assert.Contains("1", e.Message);
        Assert.False(GqaKernelRegistry.TryGet(shape, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => GqaKernelRegistry.Resolve(shape, (GqaKernelChoice)7, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LlamaModelOptions { Kernel = (GqaKernelChoice)7 });
    }
}
