namespace GqaGen.Cli;

/// <summary>Which half of the KV cache a heat map shows.</summary>
public enum KvTensor
{
    /// <summary>The keys, as cached: after RoPE.</summary>
    Keys,

    /// <summary>The values.</summary>
    Values,
}

/// <summary>Smallest, largest and mean element of one K/V head's map (tokens × head dimension).</summary>
public sealed record KvMapStats(double Min, double Max, double Mean);

/// <summary>
/// One layer's keys or values for a prompt, copied out of a <see cref="KvCache"/> and read per query head: the
/// matrices <c>gqagen heatmap</c> draws. Query head <c>h</c> reads K/V head <c>h / HeadsPerGroup</c>, so the map of
/// every head of a group is built from the same cache rows; that sharing is the whole point of the picture.
/// </summary>
public sealed class KvHeadMaps
{
    private readonly float[][] _groups; // per K/V head: (token, headDim)

    /// <summary>Wraps per-group maps: <paramref name="groups"/>[g] holds <paramref name="tokens"/> rows of
    /// <paramref name="headDim"/> floats for K/V head g.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or <paramref name="kvGroups"/> does not divide <paramref name="heads"/>.</exception>
    /// <exception cref="ArgumentException">The number or size of the group arrays does not match the counts.</exception>
    public KvHeadMaps(int heads, int kvGroups, int headDim, int tokens, KvTensor tensor, IReadOnlyList<float[]> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvGroups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        if (heads % kvGroups != 0)
            throw new ArgumentOutOfRangeException(nameof(kvGroups), kvGroups, $"KvGroups {kvGroups} must divide Heads {heads}.");
        if (groups.Count != kvGroups)
            throw new ArgumentException($"Expected {kvGroups} group maps, got {groups.Count}.", nameof(groups));
        for (int g = 0; g < groups.Count; g++)
        {
            if (groups[g].Length != tokens * headDim)
                throw new ArgumentException($"Group {g}'s map has {groups[g].Length} floats; expected {tokens} tokens × {headDim} = {tokens * headDim}.", nameof(groups));
        }
        Heads = heads;
        KvGroups = kvGroups;
        HeadDim = headDim;
        Tokens = tokens;
        Tensor = tensor;
        _groups = [.. groups.Select(g => (float[])g.Clone())]; // a snapshot: later writes to the caller's arrays do not change the maps
    }

    /// <summary>Query heads, H.</summary>
    public int Heads { get; }

    /// <summary>K/V heads, G.</summary>
    public int KvGroups { get; }

    /// <summary>Elements per head, d: the columns of every map.</summary>
    public int HeadDim { get; }

    /// <summary>Prompt tokens: the rows of every map.</summary>
    public int Tokens { get; }

    /// <summary>Keys or values.</summary>
    public KvTensor Tensor { get; }

    /// <summary>Query heads per K/V head, H / G.</summary>
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>The K/V head that query head <paramref name="head"/> reads.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is outside 0..H−1.</exception>
    public int GroupOf(int head)
    {
        if ((uint)head >= (uint)Heads)
            throw new ArgumentOutOfRangeException(nameof(head), head, $"Query head {head} does not exist: the layout has heads 0 to {Heads - 1}.");
        return head / HeadsPerGroup;
    }

    /// <summary>Copies positions 0..<paramref name="tokens"/>−1 of <paramref name="layer"/>'s keys or values out of
    /// <paramref name="cache"/>, as floats whatever its storage type (dequantized, as the kernels read them).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> or <paramref name="tokens"/> is outside the cache.</exception>
    public static KvHeadMaps FromCache(KvCache cache, int layer, int tokens, KvTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (tokens < 1 || tokens > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"Tokens must be within 1..{cache.Capacity} (the cache's capacity).");
        if ((uint)layer >= (uint)cache.Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer must be within 0..{cache.Layers - 1}.");
        GqaShape shape = cache.Shape;
        int d = shape.HeadDim;
        var groups = new float[shape.KvGroups][];
        for (int g = 0; g < shape.KvGroups; g++)
        {
            // [token, dimension] rows of this K/V head.
            groups[g] = new float[tokens * d];
            for (int t = 0; t < tokens; t++)
            {
                if (tensor == KvTensor.Keys)
                    cache.ReadKey(layer, g, t, groups[g].AsSpan(t * d, d));
                else
                    cache.ReadValue(layer, g, t, groups[g].AsSpan(t * d, d));
            }
        }
        return new KvHeadMaps(shape.Heads, shape.KvGroups, shape.HeadDim, tokens, tensor, groups);
    }

    /// <summary>The map query head <paramref name="head"/> attends over: [token, dimension] = element
    /// <c>dimension</c> of its K/V head's row at position <c>token</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is outside 0..H−1.</exception>
    public double[,] ForHead(int head)
    {
        float[] source = _groups[GroupOf(head)];
        var map = new double[Tokens, HeadDim];
        for (int t = 0; t < Tokens; t++)
            for (int i = 0; i < HeadDim; i++)
                map[t, i] = source[t * HeadDim + i];
        return map;
    }

    /// <summary>Min, max and mean of K/V head <paramref name="group"/>'s map.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> is outside 0..G−1.</exception>
    public KvMapStats Stats(int group)
    {
        if ((uint)group >= (uint)KvGroups)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"K/V head {group} does not exist: the layout has groups 0 to {KvGroups - 1}.");
        float[] map = _groups[group];
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (float v in map)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
        }
        return new KvMapStats(min, max, sum / map.Length);
    }

    /// <summary>The largest |element| among the first <paramref name="groups"/> K/V heads: the half-width of a colour
    /// scale centred on zero that they share.</summary>
    public double MaxAbs(int groups)
    {
        double m = 0;
        for (int g = 0; g < Math.Min(groups, KvGroups); g++)
            foreach (float v in _groups[g])
                m = Math.Max(m, Math.Abs((double)v));
        return m;
    }
}
