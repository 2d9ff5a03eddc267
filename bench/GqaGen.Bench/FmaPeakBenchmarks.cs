using BenchmarkDotNet.Attributes;

namespace GqaGen.Bench;

/// <summary>
/// The single-core fp32 FMA peak (<see cref="FmaPeak"/>), as a benchmark, so that a run joined with
/// <see cref="MatMulBenchmarks"/> (<c>--join</c>) measures the peak and the products under the same conditions and
/// the products' "% of peak" column divides by it.
/// </summary>
public class FmaPeakBenchmarks
{
    /// <summary>One <see cref="FmaPeak.Run"/>: <see cref="FmaPeak.FlopsPerRun"/> floating-point operations.</summary>
    [Benchmark(Description = "FMA peak loop")]
    public float Peak() => FmaPeak.Run(1f);
}
