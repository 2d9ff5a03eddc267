using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>The body shared by the kernel correctness tests: build a case, run one kernel on poisoned buffers, compare.</summary>
internal static class DecodeCaseRunner
{
    /// <summary>The raw |q·k| a <see cref="InputVariant.LargeLogits"/> case must exceed for the variant to test what it claims.</summary>
    public const double LargeLogitFloor = 40;

    /// <summary>Runs <paramref name="decode"/> on a fresh case and checks it against the reference.</summary>
    /// <param name="kernel">Names the kernel in failure messages and seeds the data: the generated and generic tests of one
    /// case see different data, and a case sees the same data under every ISA setting.</param>
    /// <param name="path">The instruction-set path <paramref name="decode"/> runs, for failure messages.</param>
    public static void Check(LayoutKernel layout, int length, InputVariant variant, string kernel, GqaKernelPath path, AppendFunction append, DecodeFunction decode)
    {
        using DecodeScenario scenario = DecodeScenario.Create(layout.Shape, length, variant, append, CaseSeed.For(kernel, layout.Name, length, variant));
        string context = $"{kernel} on path {path}, {layout}, length {length}, {variant}, positions {scenario.Positions}";
        AssertVariantIsReal(scenario, variant, context);

        var (expectedOutput, expectedLogSumExp) = scenario.Reference();
        var output = new GuardedBuffer(layout.Shape.QueryLength);
        var logSumExp = new GuardedBuffer(layout.Shape.Heads);

        decode(scenario.Query, scenario.Cache, scenario.Layer, scenario.Positions, output.Inner, logSumExp.Inner);

        AttentionAssert.MatchesReference(layout.Shape, expectedOutput, expectedLogSumExp, output.Inner, logSumExp.Inner, context);
        output.AssertMarginsUntouched($"{context}: output");
        logSumExp.AssertMarginsUntouched($"{context}: logSumExp");
    }

    /// <summary>Runs one generated per-path method directly (it takes raw cache regions and checks nothing), with
    /// prefetching on: the public Decode on the tests' small caches covers it off.</summary>
    public static void CheckPath(LayoutKernel layout, GqaKernelPath path, int length, InputVariant variant)
    {
        PathFunction decodePath = layout.Paths[path];
        Check(layout, length, variant, $"Decode{path}", path, layout.AppendKv,
            (query, cache, layer, positions, output, logSumExp) =>
                decodePath(query, cache.KeyBytes(layer), cache.ValueBytes(layer), cache.Slots, positions, output, logSumExp, streaming: true));
    }

    private static void AssertVariantIsReal(DecodeScenario scenario, InputVariant variant, string context)
    {
        if (variant != InputVariant.LargeLogits)
            return;
        double maxAbsRawScore = scenario.MaxAbsRawScore();
        Assert.True(maxAbsRawScore > LargeLogitFloor,
            $"{context}: the largest raw |q·k| is only {maxAbsRawScore:F1}; the large-logit inputs must exceed {LargeLogitFloor}.");
    }
}
