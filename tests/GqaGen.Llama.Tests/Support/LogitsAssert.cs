namespace GqaGen.Llama.Tests.Support;

/// <summary>Compares the decoder's float logits with the oracle's double ones.</summary>
public static class LogitsAssert
{
    /// <summary>The normwise relative error <c>max|a − b| / max|b|</c>: one number per position, insensitive to
    /// the near-zero logits that would make an elementwise relative error meaningless.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDifference = 0, maxReference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"logit {i} is {actual[i]}");
            maxDifference = Math.Max(maxDifference, Math.Abs(actual[i] - expected[i]));
            maxReference = Math.Max(maxReference, Math.Abs(expected[i]));
        }
        return maxDifference / maxReference;
    }

    /// <summary>The same for two float runs of the decoder.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        var reference = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
            reference[i] = expected[i];
        return RelativeError(actual, reference);
    }

    /// <summary>Asserts <see cref="RelativeError(ReadOnlySpan{float}, ReadOnlySpan{double})"/> is at most <paramref name="bound"/>;
    /// returns the error.</summary>
    public static double Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double bound, string where)
    {
        double error = RelativeError(actual, expected);
        Assert.True(error <= bound, $"{where}: relative error {error:E2} exceeds {bound:E0}");
        return error;
    }

    /// <summary>The index of the largest logit (the first, on a tie).</summary>
    public static int ArgMax(ReadOnlySpan<double> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best])
                best = i;
        return best;
    }
}
