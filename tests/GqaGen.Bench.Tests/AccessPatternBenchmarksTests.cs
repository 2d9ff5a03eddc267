namespace GqaGen.Bench.Tests;

/// <summary>The access-pattern loops of <see cref="AccessPatternBenchmarks"/> differ only in order, prefetch and
/// arithmetic, so each must read every byte of the matrix exactly once.</summary>
public sealed class AccessPatternBenchmarksTests
{
    /// <summary>Sums of 32-bit words do not depend on their order, so every loop that reads each byte once (and the two
    /// that put each load through the same arithmetic) must sum to the plain read's total; a skipped or repeated step
    /// would not.</summary>
    [Fact]
    public void EveryLoopReadsEachByteOnce()
    {
        var benchmark = new AccessPatternBenchmarks { Cached = true };
        benchmark.Setup();

        uint read = benchmark.ReadBytes();
        Assert.NotEqual(0u, read);
        Assert.Equal(read, benchmark.TileOrder());
        Assert.Equal(read, benchmark.TileOrderNoPrefetch());
        Assert.Equal(benchmark.LinearWithArithmetic(), benchmark.TileOrderWithArithmetic());
    }
}
