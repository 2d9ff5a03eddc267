namespace GqaGen.Tests.Support;

/// <summary>
/// A decode case on a cache of any <see cref="KvElementType"/>, with or without a sliding window, plus two
/// independent views of the same data for the expected result:
/// <list type="bullet">
/// <item><see cref="Cache"/>, the kernel's: a ring of min(W, capacity) slots with a window, else a plain cache, every
/// row written through the kernel's own append in position order (so a ring wraps as it does in a decoder).</item>
/// <item><see cref="Plain"/>: no window, capacity = the range's end, the same rows at the same positions written with
/// <see cref="KvCache.Write"/>; decoding it over <see cref="Attended"/>, the window applied by its definition
/// (a query at p sees p − W &lt; j ≤ p), checks the ring independently of <see cref="KvCache.Attended"/> and
/// <see cref="KvCache.SlotOf"/>.</item>
/// <item><see cref="UnroundedCache"/>: a Float32 cache of the raw rows, for measuring what the storage type costs.</item>
/// </list>
/// Every row a correct decode must not read is poisoned: every slot starts poisoned, positions outside
/// <see cref="Attended"/> are written with poison, and so is the whole other layer. Float32, BFloat16 and Q8_0 store
/// NaN (a Q8_0 block holding a NaN gets a NaN scale, which its loads return), which any read carries into the
/// output. A Float16 cache cannot hold a NaN that reads back as one (its loads return large finite numbers for NaN
/// patterns, as HalfBits documents), so its poison rows are K = 0 and V = 65,504: a wrongly read row scores 0, which
/// under the uniform inputs used here takes a visible share of the softmax, and drags its head's output towards 65,504.
/// </summary>
internal sealed class StorageScenario : IDisposable
{
    /// <summary>Positions of capacity past the range's end in the kernel's cache, as in <see cref="DecodeScenario"/>.</summary>
    public const int SpareCapacity = 5;

    private const int Layers = 2;

    private readonly Dictionary<int, (float[] Key, float[] Value)> _rows;

    private StorageScenario(KvCache cache, KvCache plain, int layer, KvRange positions, KvRange attended, float[] query,
        Dictionary<int, (float[] Key, float[] Value)> rows)
    {
        Cache = cache;
        Plain = plain;
        Layer = layer;
        Positions = positions;
        Attended = attended;
        Query = query;
        _rows = rows;
    }

    /// <summary>The kernel's cache (a ring when the case has a window).</summary>
    public KvCache Cache { get; }

    /// <summary>The same rows in a windowless cache of the same type whose capacity is the range's end.</summary>
    public KvCache Plain { get; }

    public int Layer { get; }

    /// <summary>The range handed to Decode.</summary>
    public KvRange Positions { get; }

    /// <summary>The positions the last query sees, from the definition: [max(start, end − W), end), or the range without a window.</summary>
    public KvRange Attended { get; }

    public float[] Query { get; }

    public GqaShape Shape => Cache.Shape;

    /// <summary>Builds the case. <paramref name="window"/> 0 means none. <paramref name="append"/> writes the kernel's cache.</summary>
    public static StorageScenario Create(GqaShape shape, KvElementType type, int window, KvRange positions, int layer,
        InputVariant variant, AppendFunction append, int seed)
    {
        int end = positions.End;
        var attended = new KvRange(window > 0 ? Math.Max(positions.Start, end - window) : positions.Start, end);
        var cache = new KvCache(shape, Layers, end + SpareCapacity, type, window);
        var plain = new KvCache(shape, Layers, Math.Max(end, 1), type);
        var inputs = new RandomInputs(shape, variant, seed);
        (float[] poisonKey, float[] poisonValue) = Poison(shape, type);

        // Every slot of both layers starts poisoned: positions 0 to Slots − 1 land in every slot once.
        for (int l = 0; l < Layers; l++)
        {
            for (int p = 0; p < cache.Slots; p++)
                append(cache, l, p, poisonKey, poisonValue);
            for (int p = 0; p < plain.Capacity; p++)
                plain.Write(l, p, poisonKey, poisonValue);
        }

        // Then every position up to the end in order, real rows only where the last query looks; a ring wraps here.
        var rows = new Dictionary<int, (float[] Key, float[] Value)>();
        int extremePosition = attended.Length > 0 ? attended.Start + inputs.Position(attended.Length) : -1;
        for (int p = 0; p < end; p++)
        {
            (float[] key, float[] value) = p >= attended.Start
                ? (inputs.KeyRow(extreme: p == extremePosition), inputs.ValueRow())
                : (poisonKey, poisonValue);
            if (p >= attended.Start)
                rows[p] = (key, value);
            append(cache, layer, p, key, value);
            plain.Write(layer, p, key, value);
        }
        return new StorageScenario(cache, plain, layer, positions, attended, inputs.Query(), rows);
    }

    /// <summary>The poison rows for <paramref name="type"/> (see the class remarks).</summary>
    public static (float[] Key, float[] Value) Poison(GqaShape shape, KvElementType type)
    {
        var key = new float[shape.KvLength];
        var value = new float[shape.KvLength];
        bool keepsNaN = type != KvElementType.Float16;
        key.AsSpan().Fill(keepsNaN ? float.NaN : 0f);
        value.AsSpan().Fill(keepsNaN ? float.NaN : 65504f);
        return (key, value);
    }

    /// <summary>The reference on the kernel's cache and range (it applies the window with <see cref="KvCache.Attended"/>).</summary>
    public (float[] Output, float[] LogSumExp) Reference() => Decode(Cache, Positions);

    /// <summary>The reference on <see cref="Plain"/> over <see cref="Attended"/>.</summary>
    public (float[] Output, float[] LogSumExp) PlainReference() => Decode(Plain, Attended);

    /// <summary>The reference on the unrounded rows (a Float32 cache holding the raw data) over <see cref="Attended"/>.</summary>
    public (float[] Output, float[] LogSumExp) UnroundedReference()
    {
        using KvCache unrounded = UnroundedCache();
        return Decode(unrounded, Attended);
    }

    /// <summary>A Float32 cache holding the raw rows of the attended positions (NaN elsewhere), capacity the range's end.</summary>
    public KvCache UnroundedCache()
    {
        var cache = new KvCache(Shape, Layers, Plain.Capacity);
        (float[] poisonKey, float[] poisonValue) = Poison(Shape, KvElementType.Float32);
        for (int l = 0; l < Layers; l++)
            for (int p = 0; p < cache.Capacity; p++)
            {
                (float[] key, float[] value) = l == Layer && _rows.TryGetValue(p, out var row) ? row : (poisonKey, poisonValue);
                cache.Write(l, p, key, value);
            }
        return cache;
    }

    /// <summary>The largest raw |q·k| over all heads and attended positions, on the stored (rounded) keys, before the 1/√d scale.</summary>
    public double MaxAbsRawScore()
    {
        int d = Shape.HeadDim;
        var key = new float[d];
        double max = 0;
        for (int h = 0; h < Shape.Heads; h++)
            for (int p = Attended.Start; p < Attended.End; p++)
            {
                Plain.ReadKey(Layer, h / Shape.HeadsPerGroup, p, key);
                double dot = 0;
                for (int i = 0; i < d; i++)
                    dot += (double)Query[h * d + i] * key[i];
                max = Math.Max(max, Math.Abs(dot));
            }
        return max;
    }

    /// <summary>
    /// How ill-conditioned the expected result is, for failure messages: per head, κ = max_i Σ_p w_p·|v_p,i| divided by
    /// max_i |Σ_p w_p·v_p,i| (w the softmax weights over <see cref="Attended"/>). Float accumulation may err by up to
    /// about κ·n·6e-8 relative to max|ref| even when every operation is correctly rounded, so κ near 1/tolerance means the
    /// normwise bar asks for more than float arithmetic has.
    /// </summary>
    public string Conditioning()
    {
        (double worst, int worstHead) = TermScales().Select((t, h) => (t.Kappa, h)).Max();
        int n = Attended.Length;
        return $"(Conditioning: head {worstHead} has max_i Σ w|v| / max_i |Σ w·v| = {worst:F1} over {n} positions; correctly rounded float arithmetic alone may be off by up to about {worst * n * 6e-8:E1} there.)";
    }

    /// <summary>Per head: the size of the terms the output sums, max_i Σ_p w_p·|v_p,i|, and κ, that over max_i |Σ_p w_p·v_p,i|.</summary>
    public (double TermScale, double Kappa)[] TermScales()
    {
        var result = new (double, double)[Shape.Heads];
        int d = Shape.HeadDim, n = Attended.Length;
        var key = new float[d];
        var value = new float[d];
        for (int h = 0; h < Shape.Heads; h++)
        {
            int group = h / Shape.HeadsPerGroup;
            var scores = new double[n];
            for (int p = 0; p < n; p++)
            {
                Plain.ReadKey(Layer, group, Attended.Start + p, key);
                for (int i = 0; i < d; i++)
                    scores[p] += (double)Query[h * d + i] * key[i];
            }
            double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
            var absolute = new double[d];
            var signed = new double[d];
            for (int p = 0; p < n; p++)
            {
                Plain.ReadValue(Layer, group, Attended.Start + p, value);
                double w = Math.Exp(scores[p] - max) / sum;
                for (int i = 0; i < d; i++)
                {
                    absolute[i] += w * Math.Abs(value[i]);
                    signed[i] += w * value[i];
                }
            }
            result[h] = (absolute.Max(), absolute.Max() / signed.Max(Math.Abs));
        }
        return result;
    }

    public void Dispose()
    {
        Cache.Dispose();
        Plain.Dispose();
    }

    private (float[] Output, float[] LogSumExp) Decode(KvCache cache, KvRange positions)
    {
        var output = new float[Shape.QueryLength];
        var logSumExp = new float[Shape.Heads];
        GqaReference.Decode(Shape, Query, cache, Layer, positions, output, logSumExp);
        return (output, logSumExp);
    }
}
