namespace GqaGen;

/// <summary>
/// The naive decode attention that every kernel is checked against: scalar, double accumulation, K and V
/// explicitly repeated for every query head (as <c>repeat_kv</c> does in reference PyTorch code), and a
/// two-pass softmax. Slow on purpose; public so users can verify their own builds.
/// </summary>
/// <remarks>It reads the cache through <see cref="KvCache.ReadKey"/> and <see cref="KvCache.ReadValue"/>, so for a
/// reduced-precision cache it computes on the rounded or dequantized K/V the kernels see, and it applies the cache's
/// sliding window with <see cref="KvCache.Attended"/>.</remarks>
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
        positions = cache.Attended(positions);
        int d = shape.HeadDim, count = positions.Length;
        if (count == 0)
        {
            output.Clear();
            logSumExp.Fill(float.NegativeInfinity);
            return;
        }

        double scale = 1.0 / Math.Sqrt(d);
        var scores = new double[count];

        for (int h = 0; h < shape.Heads; h++)
        {
            double[,] headKeys = RepeatKv(shape, cache, layer, values: false, h, positions);
            double[,] headValues = RepeatKv(shape, cache, layer, values: true, h, positions);
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

    /// <summary>
    /// The causal attention of a block of <paramref name="count"/> query tokens, one token at a time: query i (position
    /// p = <paramref name="firstPosition"/> + i) is <see cref="Decode"/> over positions [0, p + 1), which the cache's
    /// sliding window, if any, narrows to the last W of them. The block's K/V must be appended first.
    /// </summary>
    /// <param name="shape">The layout.</param>
    /// <param name="queries">(count, Heads × HeadDim) query elements.</param>
    /// <param name="cache">The K/V cache, holding positions up to the last query's.</param>
    /// <param name="layer">The layer to read.</param>
    /// <param name="firstPosition">Position of the first query.</param>
    /// <param name="count">Number of query tokens.</param>
    /// <param name="output">Receives (count, Heads × HeadDim) outputs.</param>
    public static void Prefill(GqaShape shape, ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output)
    {
        GqaGuard.CheckPrefill(shape, queries, cache, layer, firstPosition, count, output);
        int length = shape.QueryLength;
        for (int i = 0; i < count; i++)
            Decode(shape, queries.Slice(i * length, length), cache, layer, new KvRange(0, firstPosition + i + 1), output.Slice(i * length, length));
    }

    /// <summary>The K or V rows query head <paramref name="head"/> attends to, copied out of its group: (position, headDim).</summary>
    private static double[,] RepeatKv(GqaShape shape, KvCache cache, int layer, bool values, int head, KvRange positions)
    {
        int group = head / shape.HeadsPerGroup;
        var rows = new double[positions.Length, shape.HeadDim];
        var row = new float[shape.HeadDim];
        for (int p = 0; p < positions.Length; p++)
        {
            if (values)
                cache.ReadValue(layer, group, positions.Start + p, row);
            else
                cache.ReadKey(layer, group, positions.Start + p, row);
            for (int i = 0; i < shape.HeadDim; i++)
                rows[p, i] = row[i];
        }
        return rows;
    }
}
