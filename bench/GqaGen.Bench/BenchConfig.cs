using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace GqaGen.Bench;

/// <summary>The configuration every benchmark in the suite runs with.</summary>
public static class BenchConfig
{
    /// <summary>One launch, 3 warm-up and 10 measured iterations: enough for a stable mean on ~10 ms operations, short enough for a ten-minute suite.</summary>
    public static readonly Job SuiteJob = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .WithId("Suite");

    /// <summary>The default configuration plus the "KV GB/s" and "% of read BW" columns, and <paramref name="job"/> when not null.</summary>
    public static IConfig Create(Job? job)
    {
        ManualConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddColumn(new BandwidthColumn(), new ReadBandwidthShareColumn());
        if (job is not null)
            config.AddJob(job);
        return config;
    }
}
