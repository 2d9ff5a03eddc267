namespace GqaGen.Tests.Support;

/// <summary>Compares a kernel's decode result with the reference's.</summary>
internal static class AttentionAssert
{
    /// <summary>
    /// Allowed error, relative: per head, max|out − ref| / max|ref| over the head's d outputs (normwise, so an output
    /// element that happens to be near zero does not demand impossible elementwise accuracy).
    /// </summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Fails unless every output and log-sum-exp is finite and each head is within <see cref="Tolerance"/> of the
    /// reference. Log-sum-exp is compared relative to max(1, |ref|): relative where it is large, and absolute where it
    /// is near zero, where an absolute error ε in log-sum-exp is exactly a relative error ε in the softmax denominator
    /// it encodes (and where a purely relative test would ask a float dot product for accuracy it cannot have).
    /// </summary>
    /// <param name="tolerance">The limit for both checks; <see cref="Tolerance"/> against the naive reference.</param>
    /// <param name="expectedName">What the expected values come from, for the failure message.</param>
    public static void MatchesReference(GqaShape shape, ReadOnlySpan<float> expectedOutput, ReadOnlySpan<float> expectedLogSumExp,
        ReadOnlySpan<float> actualOutput, ReadOnlySpan<float> actualLogSumExp, string context,
        double tolerance = Tolerance, string expectedName = "the reference")
    {
        OutputMatchesReference(shape, expectedOutput, actualOutput, context, tolerance, expectedName);
        AssertFinite(actualLogSumExp, "logSumExp", 1, context);
        for (int h = 0; h < shape.Heads; h++)
        {
            double error = Math.Abs(actualLogSumExp[h] - (double)expectedLogSumExp[h]) / Math.Max(1, Math.Abs(expectedLogSumExp[h]));
            Assert.True(error <= tolerance,
                $"{context}: head {h} logSumExp {actualLogSumExp[h]:R} vs {expectedName} {expectedLogSumExp[h]:R}, error {error:E3} relative to max(1, |expected|) (limit {tolerance:E0}).");
        }
    }

    /// <summary>The output half of <see cref="MatchesReference"/>, for calls made without a log-sum-exp.</summary>
    public static void OutputMatchesReference(GqaShape shape, ReadOnlySpan<float> expectedOutput, ReadOnlySpan<float> actualOutput, string context,
        double tolerance = Tolerance, string expectedName = "the reference")
    {
        AssertFinite(actualOutput, "output", shape.HeadDim, context);
        int d = shape.HeadDim;
        int worstHead = -1;
        double worstError = -1;
        for (int h = 0; h < shape.Heads; h++)
        {
            double error = NormwiseRelativeError(expectedOutput.Slice(h * d, d), actualOutput.Slice(h * d, d));
            if (error > worstError)
                (worstHead, worstError) = (h, error);
        }
        Assert.True(worstError <= tolerance,
            $"{context}: head {worstHead} output differs from {expectedName} by {worstError:E3} (normwise relative; limit {tolerance:E0}).");
    }

    /// <summary>max|actual − expected| / max|expected|.</summary>
    public static double NormwiseRelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double maxError = 0, maxExpected = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxError = Math.Max(maxError, Math.Abs(actual[i] - (double)expected[i]));
            maxExpected = Math.Max(maxExpected, Math.Abs(expected[i]));
        }
        return maxError / maxExpected;
    }

    /// <summary>Fails at the first NaN or infinity, naming the head and element.</summary>
    public static void AssertFinite(ReadOnlySpan<float> values, string what, int perHead, string context)
    {
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(float.IsFinite(values[i]),
                $"{context}: {what}[{i}] (head {i / perHead}, element {i % perHead}) is {values[i]} — not written, or poisoned cache rows leaked in.");
        }
    }
}
