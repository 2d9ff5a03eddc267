namespace GqaGen;

/// <summary>
/// The naive decode attention that every kernel is checked against: scalar, double accumulation, K and V
/// explicitly repeated for every query head (as <c>repeat_kv</c> does in reference PyTorch code), and a
/// two-pass softmax. Slow on purpose; public so users can verify their own builds.
/// </summary>
public static class GqaReference
{
    /// <summary>
    /// Computes <c>output[h] = Σ_p softmax_p(q_h · K[h / (H/G), p] / √d) · V[h / (H/G), p]</c> over <paramref name="positions"/>,
    /// in double precision, and, when <paramref name="logSumExp"/> is not empty, <c>log Σ_p exp(score_p)</c> per head.
    /// An empty range writes zeros and −∞.
    /// </summary>
    public static void Decode(GqaShape shape, ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default)
    {
        GqaGuard.CheckDecode(shape, query, cache, layer, positions, output, logSumExp);
        int d = shape.HeadDim, count = positions.Length;
        if (count == 0)
        {
            output.Clear();
            logSumExp.Fill(float.NegativeInfinity);
            return;
        }

        ReadOnlySpan<float> keys = cache.Keys(layer);
        ReadOnlySpan<float> values = cache.Values(layer);
        double scale = 1.0 / Math.Sqrt(d);
        var scores = new double[count];

        for (int h = 0; h < shape.Heads; h++)
        {
            double[,] headKeys = RepeatKv(shape, cache, keys, h, positions);
            double[,] headValues = RepeatKv(shape, cache, values, h, positions);
            ReadOnlySpan<float> q = query.Slice(h * d, d);

            // Pass 1: scores and their maximum.
            double max = double.NegativeInfinity;
            for (int p = 0; p < count; p++)
            {
                double dot = 0;
                for (int i = 0; i < d; i++)
                    dot += (double)q[i] * headKeys[p, i];
                scores[p] = dot * scale;
                max = Math.Max(max, scores[p]);
            }

            // Pass 2: normalized weights and the weighted sum of values.
            double sum = 0;
            for (int p = 0; p < count; p++)
                sum += Math.Exp(scores[p] - max);
            for (int i = 0; i < d; i++)
            {
                double acc = 0;
                for (int p = 0; p < count; p++)
                    acc += Math.Exp(scores[p] - max) / sum * headValues[p, i];
                output[h * d + i] = (float)acc;
            }
            if (!logSumExp.IsEmpty)
                logSumExp[h] = (float)(max + Math.Log(sum));
        }
        GC.KeepAlive(cache);
    }

    /// <summary>The K or V rows query head <paramref name="head"/> attends to, copied out of its group: (position, headDim).</summary>
    private static double[,] RepeatKv(GqaShape shape, KvCache cache, ReadOnlySpan<float> region, int head, KvRange positions)
    {
        int group = head / shape.HeadsPerGroup;
        var rows = new double[positions.Length, shape.HeadDim];
        for (int p = 0; p < positions.Length; p++)
        {
            int row = cache.RowOffset(group, positions.Start + p);
            for (int i = 0; i < shape.HeadDim; i++)
                rows[p, i] = region[row + i];
        }
        return rows;
    }
}
