namespace GqaGen.Tests.Support;

/// <summary>
/// A filled KV cache, a query and the range to decode, for one kernel test case. Every cache element the decode
/// must not read is NaN: rows before and after the range (including spare capacity past it) and the whole other
/// layer. A kernel that lets any of them into its result produces a NaN output and fails the finiteness check.
/// </summary>
internal sealed class DecodeScenario : IDisposable
{
    /// <summary>First decoded position in <see cref="InputVariant.OffsetRange"/> cases: odd, so rows in range are
    /// neither tile- nor vector-aligned.</summary>
    public const int OffsetStart = 13;

    /// <summary>Positions of capacity past the range, so that reading past its end reads poisoned rows rather than
    /// another group's or running off the allocation.</summary>
    public const int SpareCapacity = 5;

    private const int Layers = 2;

    private DecodeScenario(KvCache cache, int layer, KvRange positions, float[] query)
    {
        Cache = cache;
        Layer = layer;
        Positions = positions;
        Query = query;
    }

    public KvCache Cache { get; }

    public int Layer { get; }

    public KvRange Positions { get; }

    public float[] Query { get; }

    public GqaShape Shape => Cache.Shape;

    /// <summary>Builds the case, writing every K/V row through <paramref name="append"/> (the kernel's own AppendKv).</summary>
    public static DecodeScenario Create(GqaShape shape, int length, InputVariant variant, AppendFunction append, int seed)
    {
        int start = variant == InputVariant.OffsetRange ? OffsetStart : 0;
        int layer = variant == InputVariant.OffsetRange ? 1 : 0;
        var positions = new KvRange(start, start + length);
        var cache = new KvCache(shape, Layers, positions.End + SpareCapacity);
        var inputs = new RandomInputs(shape, variant, seed);

        for (int other = 0; other < Layers; other++)
        {
            if (other == layer)
                continue;
            cache.Keys(other).Fill(float.NaN);
            cache.Values(other).Fill(float.NaN);
        }

        var poison = new float[shape.KvLength];
        poison.AsSpan().Fill(float.NaN);
        int extremePosition = start + inputs.Position(length);
        for (int p = 0; p < cache.Capacity; p++)
        {
            if (p < positions.Start || p >= positions.End)
                append(cache, layer, p, poison, poison);
            else
                append(cache, layer, p, inputs.KeyRow(extreme: p == extremePosition), inputs.ValueRow());
        }

        return new DecodeScenario(cache, layer, positions, inputs.Query());
    }

    /// <summary>The largest raw |q·k| over all heads and positions in range, before the 1/√d scale.</summary>
    public double MaxAbsRawScore()
    {
        ReadOnlySpan<float> keys = Cache.Keys(Layer);
        int d = Shape.HeadDim;
        double max = 0;
        for (int h = 0; h < Shape.Heads; h++)
        {
            ReadOnlySpan<float> q = Query.AsSpan(h * d, d);
            for (int p = Positions.Start; p < Positions.End; p++)
            {
                ReadOnlySpan<float> k = keys.Slice(Cache.RowOffset(h / Shape.HeadsPerGroup, p), d);
                double dot = 0;
                for (int i = 0; i < d; i++)
                    dot += (double)q[i] * k[i];
                max = Math.Max(max, Math.Abs(dot));
            }
        }
        return max;
    }

    /// <summary>The expected result, from <see cref="GqaReference"/>.</summary>
    public (float[] Output, float[] LogSumExp) Reference()
    {
        var output = new float[Shape.QueryLength];
        var logSumExp = new float[Shape.Heads];
        GqaReference.Decode(Shape, Query, Cache, Layer, Positions, output, logSumExp);
        return (output, logSumExp);
    }

    public void Dispose() => Cache.Dispose();
}
