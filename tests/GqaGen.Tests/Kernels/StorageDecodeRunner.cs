using GqaGen.Tests.Support;
using Xunit.Sdk;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// The body of the storage × window decode tests: build a <see cref="StorageScenario"/>, run one kernel into
/// poisoned output buffers, and compare it with the reference twice, on the kernel's own cache and on the plain
/// cache over the window computed from its definition.
/// </summary>
internal static class StorageDecodeRunner
{
    /// <summary>Runs the named entry point (<see cref="EntryPoints"/>) on one cell of <see cref="StorageCases"/>, appending
    /// with its own AppendKv.</summary>
    public static void Check(string kernel, KvElementType type, int window, string layoutName, int start, int count, InputVariant variant,
        bool withLogSumExp = true)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        Check(layout, new StorageCase(type, window, start, count), variant, kernel, EntryPoints.PathOf(kernel, layout),
            EntryPoints.Appender(kernel, layout), EntryPoints.Decoder(kernel, layout), withLogSumExp);
    }

    /// <summary>Runs <paramref name="decode"/> on a fresh case and checks every output element and log-sum-exp.</summary>
    /// <param name="kernel">Names the kernel in failure messages and seeds the data.</param>
    /// <param name="path">The instruction-set path <paramref name="decode"/> runs, for failure messages.</param>
    /// <param name="withLogSumExp">Whether to ask for the log-sum-exp; without it (an empty span) only the output is checked.</param>
    public static void Check(LayoutKernel layout, StorageCase c, InputVariant variant, string kernel, GqaKernelPath path,
        AppendFunction append, DecodeFunction decode, bool withLogSumExp = true)
    {
        using StorageScenario scenario = StorageScenario.Create(layout.Shape, c.Type, c.Window, c.Positions, c.Layer, variant, append,
            CaseSeed.For(kernel, layout.Name, c, variant));
        string context = $"{kernel} on path {path}, {layout}, {c.Type.ShortName()} cache, "
            + (c.Window > 0 ? $"window {c.Window} ({scenario.Cache.Slots} slots)" : "no window")
            + $", layer {c.Layer}, positions {c.Positions} (the last query sees {scenario.Attended}), {variant}";

        if (variant == InputVariant.LargeLogits)
        {
            double maxAbsRawScore = scenario.MaxAbsRawScore();
            Assert.True(maxAbsRawScore > DecodeCaseRunner.LargeLogitFloor,
                $"{context}: the largest raw |q·k| is only {maxAbsRawScore:F1}; the large-logit inputs must exceed {DecodeCaseRunner.LargeLogitFloor}.");
        }

        var (expectedOutput, expectedLogSumExp) = scenario.Reference();
        float[] plainOutput = [], plainLogSumExp = [];
        if (c.Window > 0)
        {
            // The reference reads the ring through its slot mapping and window; the plain cache holds the same values
            // at their own positions and gets the window as a range. Same values in the same order: bit for bit.
            // (Without a window the kernel's cache is a plain cache already.)
            (plainOutput, plainLogSumExp) = scenario.PlainReference();
            AssertIdentical(plainOutput, expectedOutput, $"{context}: the reference on the ring and on the plain cache over {scenario.Attended}, output");
            AssertIdentical(plainLogSumExp, expectedLogSumExp, $"{context}: the reference on the ring and on the plain cache, logSumExp");
        }

        var output = new GuardedBuffer(layout.Shape.QueryLength);
        var logSumExp = new GuardedBuffer(layout.Shape.Heads);
        if (!withLogSumExp)
        {
            decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output.Inner, default);
            AttentionAssert.OutputMatchesReference(layout.Shape, expectedOutput, output.Inner, context + ", no logSumExp");
            output.AssertMarginsUntouched($"{context}: output");
            return;
        }
        decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output.Inner, logSumExp.Inner);

        try
        {
            AttentionAssert.MatchesReference(layout.Shape, expectedOutput, expectedLogSumExp, output.Inner, logSumExp.Inner, context);
        }
        catch (XunitException e)
        {
            // A head whose outputs nearly cancel (κ = max Σ w|v| / max |Σ w·v| large: with d = 1 one output is the whole
            // head) cannot meet the normwise bar in float arithmetic at all: correctly rounded sums may be off by about
            // κ·n·6e-8 of max|ref|. Such a head, and only such a head (κ > 100), is held instead to the same 1e-5 of the
            // size of the terms it sums, max Σ w|v|, the forward-error bound of a sum; every other head, and every
            // log-sum-exp, keeps the normwise bar. The first such case: q8_0, d = 1, window 16, [40, 50): κ = 9,363,
            // kernel error 2.3e-9 absolute (5.3e-5 normwise), generic kernel identical.
            if (!OnlyCancellingHeadsMiss(layout.Shape, scenario, expectedOutput, expectedLogSumExp, output.Inner, logSumExp.Inner))
                throw new XunitException($"{e.Message} {scenario.Conditioning()}");
        }
        if (c.Window > 0)
        {
            try
            {
                AttentionAssert.MatchesReference(layout.Shape, plainOutput, plainLogSumExp, output.Inner, logSumExp.Inner, context,
                    expectedName: $"the reference on a windowless {c.Type.ShortName()} cache over {scenario.Attended}");
            }
            catch (XunitException e) when (!OnlyCancellingHeadsMiss(layout.Shape, scenario, plainOutput, plainLogSumExp, output.Inner, logSumExp.Inner))
            {
                throw new XunitException($"{e.Message} {scenario.Conditioning()}");
            }
            catch (XunitException)
            {
                // Only a cancelling head missed, within its term scale (see above).
            }
        }
        output.AssertMarginsUntouched($"{context}: output");
        logSumExp.AssertMarginsUntouched($"{context}: logSumExp");
    }

    private static void AssertIdentical(float[] expected, float[] actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{context}: element {i} is {actual[i]:R} against {expected[i]:R}.");
        }
    }

    /// <summary>Whether every head misses the normwise bar only where its result cancels (κ > 100) and then stays within
    /// <see cref="AttentionAssert.Tolerance"/> of its term scale, with every log-sum-exp within the bar.</summary>
    private static bool OnlyCancellingHeadsMiss(GqaShape shape, StorageScenario scenario, float[] expectedOutput, float[] expectedLogSumExp,
        ReadOnlySpan<float> output, ReadOnlySpan<float> logSumExp)
    {
        const double IllConditioned = 100;
        var scales = scenario.TermScales();
        int d = shape.HeadDim;
        for (int h = 0; h < shape.Heads; h++)
        {
            if (!float.IsFinite(logSumExp[h]) || Math.Abs(logSumExp[h] - (double)expectedLogSumExp[h]) / Math.Max(1, Math.Abs(expectedLogSumExp[h])) > AttentionAssert.Tolerance)
                return false;
            ReadOnlySpan<float> expected = expectedOutput.AsSpan(h * d, d), actual = output.Slice(h * d, d);
            foreach (float x in actual)
            {
                if (!float.IsFinite(x))
                    return false;
            }
            double normwise = AttentionAssert.NormwiseRelativeError(expected, actual);
            if (double.IsNaN(normwise))
                return false;
            if (normwise <= AttentionAssert.Tolerance)
                continue;
            if (scales[h].Kappa <= IllConditioned)
                return false;
            double maxError = 0;
            for (int i = 0; i < d; i++)
                maxError = Math.Max(maxError, Math.Abs(actual[i] - (double)expected[i]));
            if (!(maxError <= AttentionAssert.Tolerance * scales[h].TermScale))
                return false;
        }
        return true;
    }
}

/// <summary>
/// One cell of the storage × window matrix: the storage type, the window (0 for none) and the decoded range, which
/// also picks the layer (a range not starting at 0 decodes layer 1, so the layer's region does not start the
/// allocation). Theories take its parts (xUnit serializes primitives and enums, so each row is its own test case).
/// </summary>
public readonly record struct StorageCase(KvElementType Type, int Window, int Start, int Count)
{
    public KvRange Positions => new(Start, Start + Count);

    public int Layer => Start == 0 ? 0 : 1;

    public override string ToString() => $"{Type.ShortName()} W={Window} [{Start}, {Start + Count})";
}
