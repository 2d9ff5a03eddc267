using BenchmarkDotNet.Running;
using GqaGen.Bench.Peers;

namespace GqaGen.Bench.Tests;

/// <summary>The gate refuses wrong peers, and the benchmark's "Gate" column finds what each case recorded.</summary>
public sealed class PeerGateTests
{
    private const int Context = 37;

    [Fact]
    public void RefusesAPeerThatLeavesOutAPosition()
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        var wrong = new float[inputs.Shape.QueryLength];
        GqaReference.Decode(inputs.Shape, inputs.Query, inputs.Cache, 0, KvRange.FromLength(Context - 1), wrong);
        using var peer = new FixedOutputPeer(wrong, roundsOutputToHalf: false);

        var e = Assert.Throws<PeerGateException>(() => PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput()));
        Assert.Contains("refuses to time it", e.Message);
    }

    [Fact]
    public void RefusesANonFiniteOutput()
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        float[] output = inputs.ReferenceOutput();
        output[21] = float.NaN;
        using var peer = new FixedOutputPeer(output, roundsOutputToHalf: false);

        var e = Assert.Throws<PeerGateException>(() => PeerGate.Check(peer, inputs.Shape, inputs.ReferenceOutput()));
        Assert.Contains("output[21] (head 1, element 5) is NaN", e.Message);
    }

    /// <summary>An error of 1e-3 is refused from a float peer and allowed from a half-precision one; 1e-2 from neither.</summary>
    [Theory]
    [InlineData(1e-3, false, false)]
    [InlineData(1e-3, true, true)]
    [InlineData(1e-2, true, false)]
    [InlineData(5e-5, false, true)]
    public void HoldsEachPeerToTheLimitOfItsOutputPrecision(double relativeError, bool half, bool passes)
    {
        using DecodeInputs inputs = DecodeInputs.Create(SmokeLayout.Shape, Context, KvElementType.Float32);
        float[] reference = inputs.ReferenceOutput();
        float[] output = (float[])reference.Clone();
        // Head 2's largest element moves by relativeError × the head's largest magnitude.
        int d = inputs.Shape.HeadDim;
        int largest = 2 * d;
        for (int i = 2 * d; i < 3 * d; i++)
        {
            if (Math.Abs(reference[i]) > Math.Abs(reference[largest]))
                largest = i;
        }
        output[largest] += (float)(relativeError * Math.Abs(reference[largest]));
        using var peer = new FixedOutputPeer(output, half);

        if (passes)
            Assert.Equal(2, PeerGate.Check(peer, inputs.Shape, reference).WorstHead);
        else
            Assert.Throws<PeerGateException>(() => PeerGate.Check(peer, inputs.Shape, reference));
    }

    [Fact]
    public void PeerCaseRethrowsTheRefusalAndDisposesThePeer()
    {
        FixedOutputPeer? created = null;
        Assert.Throws<PeerGateException>(() => PeerCase.Create("Test", "Wrong", BenchLayout.TinyLlama, 64, 1, KvElementType.Float32,
            inputs => created = new FixedOutputPeer(new float[inputs.Shape.QueryLength], roundsOutputToHalf: false)));
        Assert.True(created!.Disposed);
    }

    /// <summary>The key each benchmark process records its gate outcome under is the key the host's column reads.</summary>
    [Theory]
    [InlineData(typeof(PeerDecodeBenchmarks))]
    [InlineData(typeof(StorageDecodeBenchmarks))]
    public void GateColumnKeysMatchTheRecordedKeys(Type benchmarks)
    {
        BenchmarkRunInfo info = BenchmarkConverter.TypeToBenchmarks(benchmarks);
        Assert.NotEmpty(info.BenchmarksCases);
        foreach (BenchmarkCase benchmarkCase in info.BenchmarksCases)
        {
            string recorded = PeerCase.KeyFor(benchmarks.Name, benchmarkCase.Descriptor.WorkloadMethod.Name,
                (BenchLayout)benchmarkCase.Parameters["Layout"], (int)benchmarkCase.Parameters["Context"],
                (int)benchmarkCase.Parameters["Threads"], (KvElementType)benchmarkCase.Parameters["Kv"]);
            Assert.Equal(recorded, GateColumn.KeyOf(benchmarkCase));
        }
    }

    [Theory]
    [InlineData("This cache stores Float16; float spans exist only for Float32 caches. Use KeyBytes.", "This cache stores Float16")]
    [InlineData("GqaGen's parallel decode (a ComputePool-based GqaAttention.Decode overload) is not in this build; x. y", "GqaGen's parallel decode (a ComputePool-based GqaAttention.Decode overload) is not in this build")]
    [InlineData("No stop", "No stop")]
    public void UnsupportedRowsRecordTheFirstClauseOfTheReason(string message, string recorded) => Assert.Equal(recorded, PeerCase.FirstClause(message));

    [Fact]
    public void RefusalsCarryAShortFindingForTheGateColumn()
    {
        var e = Assert.Throws<PeerGateException>(() => PeerGate.Compare("p", SmokeLayout.Shape,
            Enumerable.Repeat(1f, SmokeLayout.Shape.QueryLength).ToArray(), Enumerable.Repeat(1.5f, SmokeLayout.Shape.QueryLength).ToArray(), 1e-4));
        Assert.Equal("head 0 off by 5.0E-001 (limit 1E-004)", e.Finding);
        Assert.True(GateColumn.Shorten(new string('x', 100)).Length == GateColumn.MaxCellLength);
    }

    /// <summary>A peer that returns a given output: the deliberately wrong implementation the gate must refuse.</summary>
    private sealed class FixedOutputPeer(float[] output, bool roundsOutputToHalf) : IDecodePeer
    {
        public bool Disposed { get; private set; }

        public string Name => "fixed output";

        public bool RoundsOutputToHalf => roundsOutputToHalf;

        public void Decode()
        {
        }

        public void CopyOutput(Span<float> destination) => output.CopyTo(destination);

        public void Dispose() => Disposed = true;
    }
}
