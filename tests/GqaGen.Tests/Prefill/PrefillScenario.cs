using GqaGen.Tests.Support;

namespace GqaGen.Tests.Prefill;

/// <summary>
/// One prefill case: a cache of the given storage type and window holding <c>cached</c> random positions and then the
/// block's <c>count</c> positions (appended with the generated AppendKv, as a decoder would), the block's random queries,
/// and NaN rows written at every position after the block that the ring can hold without losing one the block needs, so
/// a kernel that attends past its query's own position produces NaN.
/// </summary>
internal sealed class PrefillScenario : IDisposable
{
    private PrefillScenario(LayoutKernel layout, KvCache cache, int layer, int firstPosition, int count, float[] queries)
    {
        Layout = layout;
        Cache = cache;
        Layer = layer;
        FirstPosition = firstPosition;
        Count = count;
        Queries = queries;
    }

    public LayoutKernel Layout { get; }

    public KvCache Cache { get; }

    public int Layer { get; }

    public int FirstPosition { get; }

    public int Count { get; }

    /// <summary>(count, Heads × HeadDim) queries.</summary>
    public float[] Queries { get; }

    /// <summary>
    /// Builds the case. With a window W the ring gets <c>count + W − 1 + 3</c> slots (the fewest that hold the block and
    /// the first query's window, plus a few), so that 37 cached positions before a block make it wrap around the ring.
    /// </summary>
    public static PrefillScenario Create(LayoutKernel layout, KvElementType type, int window, int cached, int count, int seed)
    {
        GqaShape shape = layout.Shape;
        int end = cached + count;
        int capacity = end + 16;
        int ringSlots = window > 0 ? count + window - 1 + 3 : 0;
        var cache = new KvCache(shape, layers: 2, capacity, type, window, ringSlots);
        int layer = cached > 0 ? 1 : 0;
        var inputs = new RandomInputs(shape, InputVariant.Uniform, seed);
        for (int p = 0; p < end; p++)
            layout.AppendKv(cache, layer, p, inputs.KeyRow(extreme: false), inputs.ValueRow());

        // Poison the positions after the block, as far as the ring keeps every position the block reads.
        int oldestRead = window > 0 ? Math.Max(0, cached - window + 1) : 0;
        int poisonEnd = Math.Min(capacity, oldestRead + cache.Slots);
        float[] nanRow = Enumerable.Repeat(float.NaN, shape.KvLength).ToArray();
        for (int p = end; p < poisonEnd; p++)
            cache.Write(layer, p, nanRow, nanRow);

        var queries = new float[count * shape.QueryLength];
        for (int i = 0; i < count; i++)
            inputs.Query().CopyTo(queries, i * shape.QueryLength);
        return new PrefillScenario(layout, cache, layer, cached, count, queries);
    }

    /// <summary>The reference's outputs, (count, Heads × HeadDim).</summary>
    public float[] Reference()
    {
        var expected = new float[Queries.Length];
        GqaReference.Prefill(Layout.Shape, Queries, Cache, Layer, FirstPosition, Count, expected);
        return expected;
    }

    /// <summary>The largest |v| any query of the block can weigh: a bound on the size of the terms each output sums.</summary>
    public double MaxAbsValue()
    {
        int d = Layout.Shape.HeadDim;
        var row = new float[d];
        double max = 0;
        int from = Cache.SlidingWindow > 0 ? Math.Max(0, FirstPosition - Cache.SlidingWindow + 1) : 0;
        for (int p = from; p < FirstPosition + Count; p++)
        {
            for (int g = 0; g < Layout.Shape.KvGroups; g++)
            {
                Cache.ReadValue(Layer, g, p, row);
                foreach (float x in row)
                    max = Math.Max(max, Math.Abs(x));
            }
        }
        return max;
    }

    public void Dispose() => Cache.Dispose();
}
