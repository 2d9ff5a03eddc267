namespace GqaGen.Bench.Versus;

/// <summary>The greedy choice over a logit row and its margin over the runner-up, for the correctness gate.</summary>
internal static class Logits
{
    /// <summary>The index of the largest logit (the first on ties) and how far it is above the second largest.</summary>
    public static (int Token, float Margin) Best(ReadOnlySpan<float> logits)
    {
        int best = 0;
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] > first)
            {
                second = first;
                first = logits[i];
                best = i;
            }
            else if (logits[i] > second)
            {
                second = logits[i];
            }
        }
        return (best, first - second);
    }
}
