using GqaGen.Bench.Peers;

namespace GqaGen.Bench.Tests;

/// <summary>
/// Each peer of the decode benchmark, run once, untimed, on a tiny shape (H = 4, G = 2, d = 16, T = 37 positions),
/// through the same correctness gate the benchmark uses before timing (<see cref="PeerGate"/>, against
/// <see cref="GqaReference"/>).
/// </summary>
public sealed class PeerSmokeTests(ITestOutputHelper output)
{
    private const int Context = 37;

    public static TheoryData<KvElementType, int> PeerCases => new()
    {
        { KvElementType.Float32, 1 },
        { KvElementType.Float32, 2 },
        { KvElementType.Float16, 1 },
        { KvElementType.Float16, 2 },
    };

    [Theory]
    [MemberData(nameof(PeerCases))]
    public void OnnxRuntimeGroupQueryAttentionPassesTheGate(KvElementType type, int threads)
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, type);
        using var peer = new OrtGroupQueryAttention(inputs, threads);
        GateResult result = PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput());
        output.WriteLine($"{peer.Name}: {result}");
        Assert.Equal(type == KvElementType.Float16 ? PeerGate.Float16Tolerance : PeerGate.Float32Tolerance, result.Tolerance);
    }

    [Theory]
    [MemberData(nameof(PeerCases))]
    public void TensorPrimitivesAttentionPassesTheGate(KvElementType type, int threads)
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, type);
        using var peer = new TensorPrimitivesAttention(inputs, threads);
        GateResult result = PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput());
        output.WriteLine($"{peer.Name}: {result}");
        Assert.Equal(PeerGate.Float32Tolerance, result.Tolerance);
    }

    [Fact]
    public void GqaGenGenericPassesTheGate()
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        using var peer = new GqaGenPeer(GqaAttention.Generic(inputs.Shape), inputs, threads: 1);
        output.WriteLine($"{peer.Name}: {PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput())}");
    }

    [Fact]
    public void GqaGenGeneratedPassesTheGate()
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        using var peer = new GqaGenPeer(GqaAttention.For<SmokeLayout>(), inputs, threads: 1);
        Assert.True(GqaAttention.For<SmokeLayout>().IsGenerated);
        output.WriteLine($"{peer.Name}: {PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput())}");
    }

    /// <summary>Every GqaGen row of the benchmark (each storage type, 1 and 2 threads, generic and generated) passes the gate.
    /// The smoke context is too short for the split-KV decode to split, so a second case uses a longer context.</summary>
    [Theory]
    [InlineData(KvElementType.Float32, 1, Context)]
    [InlineData(KvElementType.Float16, 1, Context)]
    [InlineData(KvElementType.BFloat16, 1, Context)]
    [InlineData(KvElementType.Q8_0, 1, Context)]
    [InlineData(KvElementType.Float32, 2, Context)]
    [InlineData(KvElementType.Float16, 2, 3000)]
    [InlineData(KvElementType.Q8_0, 2, 3000)]
    public void GqaGenRowsPassTheGate(KvElementType type, int threads, int context)
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, context, type);
        float[] reference = inputs.ReferenceOutput();
        foreach (GqaAttention attention in new[] { GqaAttention.Generic(inputs.Shape), GqaAttention.For<SmokeLayout>() })
        {
            using var peer = new GqaGenPeer(attention, inputs, threads);
            output.WriteLine($"{peer.Name}: {PeerGate.Check(peer, inputs.Shape, reference)}");
        }
    }

    /// <summary>Past and present are bound to one buffer: the kernel writes the new token's key row into it, in place.</summary>
    [Theory]
    [InlineData(KvElementType.Float32)]
    [InlineData(KvElementType.Float16)]
    public void OnnxRuntimeAppendsTheNewRowIntoTheSharedBuffer(KvElementType type)
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, type);
        using var peer = new OrtGroupQueryAttention(inputs, threads: 1);
        int rowBytes = inputs.Cache.RowBytes;
        for (int g = 0; g < inputs.Shape.KvGroups; g++)
            peer.PastKeyBytes.Slice(inputs.Cache.RowByteOffset(g, Context - 1), rowBytes).Clear();

        peer.Decode();

        for (int g = 0; g < inputs.Shape.KvGroups; g++)
        {
            Assert.True(peer.PastKeyBytes.Slice(inputs.Cache.RowByteOffset(g, Context - 1), rowBytes)
                .SequenceEqual(peer.NewKeyBytes.Slice(g * rowBytes, rowBytes)), $"group {g}: row {Context - 1} of the past/present buffer was not written in place");
        }
        Assert.True(peer.PastKeyBytes.SequenceEqual(inputs.Cache.KeyBytes(0)), "the shared buffer differs from the cache after the step");
    }

    [Fact]
    public void RepeatedDecodeStepsGiveTheSameOutput()
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        using var peer = new OrtGroupQueryAttention(inputs, threads: 2);
        var first = new float[inputs.Shape.QueryLength];
        var second = new float[inputs.Shape.QueryLength];
        peer.Decode();
        peer.CopyOutput(first);
        peer.Decode();
        peer.Decode();
        peer.CopyOutput(second);
        Assert.Equal(first, second);
    }
}
