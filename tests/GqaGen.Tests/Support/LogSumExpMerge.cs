namespace GqaGen.Tests.Support;

/// <summary>The split-KV merge, in double so that a comparison measures the kernel and not the merge:
/// out = Σ_i exp(lse_i − lse)·out_i with lse = log Σ_i exp(lse_i), per head.</summary>
internal static class LogSumExpMerge
{
    public static (float[] Output, float[] LogSumExp) Merge(GqaShape shape, IReadOnlyList<(float[] Output, float[] LogSumExp)> parts)
    {
        int d = shape.HeadDim;
        var output = new float[shape.QueryLength];
        var logSumExp = new float[shape.Heads];
        for (int h = 0; h < shape.Heads; h++)
        {
            double max = parts.Max(part => (double)part.LogSumExp[h]);
            double total = max + Math.Log(parts.Sum(part => Math.Exp(part.LogSumExp[h] - max)));
            logSumExp[h] = (float)total;
            for (int i = 0; i < d; i++)
                output[h * d + i] = (float)parts.Sum(part => Math.Exp(part.LogSumExp[h] - total) * part.Output[h * d + i]);
        }
        return (output, logSumExp);
    }
}
