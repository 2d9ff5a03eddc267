using GqaGen.Tests.Support;

namespace GqaGen.Tests.Prefill;

/// <summary>Compares a prefill's outputs with the reference's, query by query and head by head.</summary>
internal static class PrefillAssert
{
    /// <summary>
    /// Fails unless every output is finite and each query's each head is within <see cref="AttentionAssert.Tolerance"/>
    /// (normwise relative) of the reference. A head whose result nearly cancels (max|v| over 100 times max|ref|: with
    /// d = 1 one output is the whole head) cannot meet a normwise bar in float arithmetic; such a head, and only such a
    /// head, is held instead to the same 1e-5 of max|v|, a bound on the size of the terms it sums (as the decode tests do).
    /// </summary>
    public static void MatchesReference(PrefillScenario scenario, float[] expected, ReadOnlySpan<float> actual, string context)
    {
        GqaShape shape = scenario.Layout.Shape;
        int d = shape.HeadDim, length = shape.QueryLength;
        double? maxAbsValue = null;
        for (int i = 0; i < scenario.Count; i++)
        {
            string query = $"{context}, query {i} (position {scenario.FirstPosition + i})";
            AttentionAssert.AssertFinite(actual.Slice(i * length, length), "output", d, query);
            for (int h = 0; h < shape.Heads; h++)
            {
                ReadOnlySpan<float> want = expected.AsSpan(i * length + h * d, d), got = actual.Slice(i * length + h * d, d);
                double error = AttentionAssert.NormwiseRelativeError(want, got);
                if (error <= AttentionAssert.Tolerance)
                    continue;
                maxAbsValue ??= scenario.MaxAbsValue();
                double maxExpected = 0, maxError = 0;
                for (int e = 0; e < d; e++)
                {
                    maxExpected = Math.Max(maxExpected, Math.Abs(want[e]));
                    maxError = Math.Max(maxError, Math.Abs(got[e] - (double)want[e]));
                }
                bool cancels = maxAbsValue.Value > 100 * maxExpected;
                Assert.True(cancels && maxError <= AttentionAssert.Tolerance * maxAbsValue.Value,
                    $"{query}: head {h} differs from the reference by {error:E3} normwise (limit {AttentionAssert.Tolerance:E0}); "
                    + $"max error {maxError:E3}, max|ref| {maxExpected:E3}, max|v| {maxAbsValue:E3}{(cancels ? "" : " (not a cancelling head)")}.");
            }
        }
    }
}
