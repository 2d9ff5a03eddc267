using System.Runtime.InteropServices;

namespace GqaGen.Bench.Peers;

/// <summary>
/// What every row of a peer benchmark decodes: one layer's K/V cache holding exactly <see cref="Context"/> positions,
/// stored as <see cref="ElementType"/>, and one query token; all uniform in [−1, 1) from a fixed seed, so every
/// benchmark process of a run builds the same bytes.
/// </summary>
/// <remarks>
/// The cache is filled through <see cref="KvCache.Write"/>, which rounds or quantizes to the storage type exactly as a
/// kernel's AppendKv does. For a half-precision cache the query is rounded to half precision too (as the query
/// projection of an fp16 model would produce it), so that a peer whose tensors are all float16 computes on the same
/// query as everyone else and the reference.
/// </remarks>
internal sealed class DecodeInputs : IDisposable
{
    private DecodeInputs(GqaShape shape, int context, KvElementType elementType, int seed, KvCache cache, float[] query)
    {
        Shape = shape;
        Seed = seed;
        Context = context;
        ElementType = elementType;
        Cache = cache;
        Query = query;
    }

    /// <summary>The attention layout.</summary>
    public GqaShape Shape { get; }

    /// <summary>The seed the values were drawn from.</summary>
    public int Seed { get; }

    /// <summary>Positions in the cache, all attended: positions 0 to Context − 1.</summary>
    public int Context { get; }

    /// <summary>How the cache stores K and V.</summary>
    public KvElementType ElementType { get; }

    /// <summary>One layer, capacity <see cref="Context"/>, no sliding window: rows are <c>(group, position, row)</c>.</summary>
    public KvCache Cache { get; }

    /// <summary>The query token, <c>Heads × HeadDim</c> floats.</summary>
    public float[] Query { get; }

    /// <summary>The decoded range, every cached position.</summary>
    public KvRange Positions => KvRange.FromLength(Context);

    /// <summary>Bytes of K and V one decode step reads: 2 · G · Context · row bytes.</summary>
    public long KvBytes => KvBytesFor(Shape, Context, ElementType);

    /// <summary>2 · G · <paramref name="context"/> · row bytes of <paramref name="elementType"/>.</summary>
    public static long KvBytesFor(GqaShape shape, int context, KvElementType elementType)
        => 2L * shape.KvGroups * context * elementType.RowBytes(shape.HeadDim);

    /// <summary>Builds the inputs; the same arguments always give the same bytes.</summary>
    public static DecodeInputs Create(GqaShape shape, int context, KvElementType elementType, int seed = 20260101)
    {
        var random = new Random(seed);
        var cache = new KvCache(shape, layers: 1, capacity: context, elementType);
        try
        {
            var key = new float[shape.KvLength];
            var value = new float[shape.KvLength];
            for (int p = 0; p < context; p++)
            {
                Fill(random, key);
                Fill(random, value);
                cache.Write(0, p, key, value);
            }
            var query = new float[shape.QueryLength];
            Fill(random, query);
            if (elementType == KvElementType.Float16)
            {
                for (int i = 0; i < query.Length; i++)
                    query[i] = (float)(Half)query[i];
            }
            return new DecodeInputs(shape, context, elementType, seed, cache, query);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="GqaReference"/>'s output for these inputs (double precision, on the K/V as stored). With
    /// <paramref name="cacheDirectory"/>, it is read from there if an earlier process of the same run computed it (at
    /// 32,768 positions the reference takes seconds), and written there otherwise.
    /// </summary>
    public float[] ReferenceOutput(string? cacheDirectory = null)
    {
        string? path = cacheDirectory is null ? null
            : Path.Combine(cacheDirectory, $"reference-H{Shape.Heads}-G{Shape.KvGroups}-d{Shape.HeadDim}-T{Context}-{ElementType.ShortName()}-seed{Seed}.bin");
        var output = new float[Shape.QueryLength];
        if (path is not null && File.Exists(path))
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (bytes.Length == output.Length * sizeof(float))
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(output);
                return output;
            }
        }

        GqaReference.Decode(Shape, Query, Cache, 0, Positions, output);
        if (path is not null)
        {
            Directory.CreateDirectory(cacheDirectory!);
            // Written under a temporary name and moved, so a concurrent reader never sees half a file.
            string partial = $"{path}.{Environment.ProcessId}.partial";
            File.WriteAllBytes(partial, MemoryMarshal.AsBytes(output.AsSpan()).ToArray());
            File.Move(partial, path, overwrite: true);
        }
        return output;
    }

    public void Dispose() => Cache.Dispose();

    /// <summary>Uniform values in [−1, 1).</summary>
    private static void Fill(Random random, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = random.NextSingle() * 2f - 1f;
    }
}
