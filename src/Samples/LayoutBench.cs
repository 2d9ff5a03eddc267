using System.Diagnostics;

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

            double generated = SecondsPerCall(() => TLayout.Decode(query, cache, 0, range, output, default));
            double generic = SecondsPerCall(() => GenericGqaKernel.Decode(shape, query, cache, 0, range, output));
            // Time the generated kernel again, after the generic one, so neither benefits from going first.
            generated = Math.Min(generated, SecondsPerCall(() => TLayout.Decode(query, cache, 0, range, output, default)));
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

    /// <summary>Best mean time per call over five runs of about 60 ms each, after a warm-up.</summary>
    private static double SecondsPerCall(Action call)
    {
        var watch = Stopwatch.StartNew();
        int calls = 0;
        while (watch.Elapsed.TotalMilliseconds < 30 || calls < 3)
        {
            call();
            calls++;
        }
        int perRun = Math.Max(1, (int)(calls * 60 / watch.Elapsed.TotalMilliseconds));

        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            watch.Restart();
            for (int i = 0; i < perRun; i++)
                call();
            best = Math.Min(best, watch.Elapsed.TotalSeconds / perRun);
        }
        return best;
    }

    private static void Fill(Span<float> values, Random random)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = random.NextSingle() * 2 - 1;
    }
}
