namespace GqaGen.Llama.Tests.Weights;

/// <summary>The accuracy contract of <c>WeightMatrix</c>, as assertions.</summary>
internal static class MatVecAssert
{
    /// <summary>The bound of both checks in <see cref="Close"/>.</summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>
    /// Outputs with at least this many rows must also meet the whole-output bound: with fewer, the largest |ref| can
    /// itself be the small remainder of a cancelling sum, which no fp32 accumulation order can meet 1e-5 of.
    /// </summary>
    public const int WholeOutputMinimumRows = 17;

    /// <summary>
    /// Fails unless every element of <paramref name="actual"/> is finite and within the documented contract:
    /// <list type="bullet">
    /// <item>per output: <c>|y[r] − ref[r]| ≤ 1e-5 · Σ_c |W[r, c] · x[c]|</c> (fp32 rounding is relative to the terms
    /// summed, not to their possibly cancelling sum);</item>
    /// <item>for outputs of <see cref="WholeOutputMinimumRows"/> or more rows, also
    /// <c>max_r |y[r] − ref[r]| ≤ 1e-5 · max_r |ref[r]|</c>.</item>
    /// </list>
    /// </summary>
    public static void Close(MatVecReference expected, ReadOnlySpan<float> actual, string context)
    {
        double[] reference = expected.Values;
        Assert.Equal(reference.Length, actual.Length);
        double maxReference = 0, maxError = 0;
        int worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"{context}: element {i} is {actual[i]} (not written, or not finite); expected {reference[i]}.");
            double error = Math.Abs(actual[i] - reference[i]);
            double bound = RelativeTolerance * expected.TermMagnitudes[i];
            Assert.True(error <= bound,
                $"{context}: element {i} is {actual[i]:R}, expected {reference[i]:R}; the error {error:E2} exceeds 1e-5 · Σ|terms| = {bound:E2}.");
            maxReference = Math.Max(maxReference, Math.Abs(reference[i]));
            if (error > maxError)
            {
                maxError = error;
                worst = i;
            }
        }
        Assert.True(maxReference > 0, $"{context}: the reference is all zeros, so the test would prove nothing.");
        if (reference.Length >= WholeOutputMinimumRows)
        {
            double relative = maxError / maxReference;
            Assert.True(relative <= RelativeTolerance,
                $"{context}: max|y - ref| / max|ref| = {relative:E2} > {RelativeTolerance:E0} (worst element {worst}: {actual[worst]:R} vs {reference[worst]:R}).");
        }
    }

    /// <summary>Fails unless the two outputs are the same bits.</summary>
    public static void Identical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{context}: element {i} is {actual[i]:R}, not bit-identical to {expected[i]:R}.");
        }
    }
}
