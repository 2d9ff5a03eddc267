using System.Diagnostics;
using System.Runtime;

namespace GqaGen.Samples;

/// <summary>One row of the samples table: a layout at one context length.</summary>
internal sealed record LayoutResult(
    string Model, GqaShape Shape, GqaKernelPath Path, int Context, double MaxRelativeError,
    double GeneratedSeconds, double GenericSeconds)
{
    /// <summary>Bytes of K and V one decode step reads: 2 · G · d · context · 4.</summary>
    public double KvBytes => 2.0 * Shape.KvGroups * Shape.HeadDim * Context * sizeof(float);
}

/// <summary>Verifies and times one generated layout.</summary>
internal static class LayoutBench
{
    /// <summary>Relative error the fp32 kernels must stay within (normwise per head).</summary>
    public const double Tolerance = 1e-5;

    public static IEnumerable<LayoutResult> Run<TLayout>(string model, int[] contexts) where TLayout : IGqaKernel
    {
        GqaShape shape = TLayout.Shape;
        double error = new[] { 1, 17, 1000 }.Max(length => MaxRelativeError<TLayout>(length));

        foreach (int context in contexts)
        {
            using var cache = new KvCache(shape, layers: 1, capacity: context);
            var random = new Random(context);
            Fill(cache.Keys(0), random);
            Fill(cache.Values(0), random);
            var query = new float[shape.QueryLength];
            Fill(query, random);
            var output = new float[shape.QueryLength];
            var range = KvRange.FromLength(context);

            (double generated, double generic) = TimeAlternated(
                () => TLayout.Decode(query, cache, 0, range, output, default),
                () => GenericGqaKernel.Decode(shape, query, cache, 0, range, output));
            yield return new LayoutResult(model, shape, TLayout.ActivePath, context, error, generated, generic);
        }
    }

    /// <summary>Worst normwise per-head relative error of the generated kernel against the reference on fresh random data.</summary>
    private static double MaxRelativeError<TLayout>(int length) where TLayout : IGqaKernel
    {
        GqaShape shape = TLayout.Shape;
        var random = new Random(1000 + length);
        using var cache = new KvCache(shape, layers: 1, capacity: length);
        var key = new float[shape.KvLength];
        var value = new float[shape.KvLength];
        for (int position = 0; position < length; position++)
        {
            Fill(key, random);
            Fill(value, random);
            TLayout.AppendKv(cache, 0, position, key, value);
        }

        var query = new float[shape.QueryLength];
        Fill(query, random);
        var output = new float[shape.QueryLength];
        var expected = new float[shape.QueryLength];
        output.AsSpan().Fill(float.NaN);
        TLayout.Decode(query, cache, 0, KvRange.FromLength(length), output, default);
        GqaReference.Decode(shape, query, cache, 0, KvRange.FromLength(length), expected);

        double worst = 0;
        for (int head = 0; head < shape.Heads; head++)
        {
            double maxError = 0, maxReference = 0;
            for (int i = head * shape.HeadDim; i < (head + 1) * shape.HeadDim; i++)
            {
                maxError = Math.Max(maxError, float.IsFinite(output[i]) ? Math.Abs(output[i] - expected[i]) : double.PositiveInfinity);
                maxReference = Math.Max(maxReference, Math.Abs(expected[i]));
            }
            worst = Math.Max(worst, maxError / maxReference);
        }
        return worst;
    }

    /// <summary>Timed runs of each kernel; each result is the median of this many.</summary>
    public const int TimedRuns = 11;

    /// <summary>
    /// Median seconds per call of <paramref name="generated"/> and <paramref name="generic"/>, measured the same way:
    /// both get the same untimed warm-up (called in alternation until tiered JIT has settled), then
    /// <see cref="TimedRuns"/> timed runs of about 20 ms each, alternated generated, generic, generated, generic…
    /// so that neither benefits from going first or from a quieter moment of a shared machine.
    /// </summary>
    private static (double Generated, double Generic) TimeAlternated(Action generated, Action generic)
    {
        (int generatedCalls, double generatedSeconds) = (0, 0);
        (int genericCalls, double genericSeconds) = (0, 0);
        var watch = Stopwatch.StartNew();
        long lastCompiledCount = -1;
        var sinceLastCompile = Stopwatch.StartNew();
        // Warm-up: alternate the two for at least 0.3 s and 30 calls each (past tier-0 call counting), and until no
        // method has been JIT-compiled for 0.2 s (tier-1 and OSR compilations happen on a background thread), or 10 s.
        while (watch.Elapsed.TotalSeconds < 10)
        {
            generatedSeconds += TimeCalls(generated, 1);
            generatedCalls++;
            genericSeconds += TimeCalls(generic, 1);
            genericCalls++;

            long compiled = JitInfo.GetCompiledMethodCount(currentThread: false);
            if (compiled != lastCompiledCount)
            {
                lastCompiledCount = compiled;
                sinceLastCompile.Restart();
            }
            if (watch.Elapsed.TotalSeconds >= 0.3 && generatedCalls >= 30 && sinceLastCompile.Elapsed.TotalSeconds >= 0.2)
                break;
        }

        // Calls per timed run, from the warm-up's mean (which still includes slower early calls, so runs are at
        // least 20 ms).
        int generatedPerRun = Math.Max(1, (int)(0.020 * generatedCalls / generatedSeconds));
        int genericPerRun = Math.Max(1, (int)(0.020 * genericCalls / genericSeconds));
        var generatedRuns = new double[TimedRuns];
        var genericRuns = new double[TimedRuns];
        for (int run = 0; run < TimedRuns; run++)
        {
            generatedRuns[run] = TimeCalls(generated, generatedPerRun) / generatedPerRun;
            genericRuns[run] = TimeCalls(generic, genericPerRun) / genericPerRun;
        }
        return (Median(generatedRuns), Median(genericRuns));
    }

    private static double TimeCalls(Action call, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
            call();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        int middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static void Fill(Span<float> values, Random random)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = random.NextSingle() * 2 - 1;
    }
}
