namespace GqaGen.Cli;

/// <summary>KV-cache sizes: bytes = 2 (K and V) · layers · G · headDim · context · batch · bytesPerElement.</summary>
public static class KvCacheMath
{
    /// <summary>Bytes of K and V for one token of one sequence across all layers.</summary>
    public static double BytesPerToken(int layers, int kvGroups, int headDim, KvDtype dtype) =>
        2.0 * layers * kvGroups * headDim * dtype.BytesPerElement;

    /// <summary>Total KV-cache bytes for <paramref name="context"/> tokens in each of <paramref name="batch"/> sequences.</summary>
    public static double TotalBytes(int layers, int kvGroups, int headDim, long context, long batch, KvDtype dtype) =>
        BytesPerToken(layers, kvGroups, headDim, dtype) * context * batch;

    /// <summary>Every G with H % G == 0, ascending (1 is MQA, H is MHA).</summary>
    public static IReadOnlyList<int> Divisors(int heads)
    {
        var list = new List<int>();
        for (int g = 1; g <= heads; g++)
        {
            if (heads % g == 0) list.Add(g);
        }
        return list;
    }

    /// <summary>The head dimension: <paramref name="headDim"/> when given, else hidden / heads (which must divide).</summary>
    public static int ResolveHeadDim(int hidden, int heads, int? headDim)
    {
        Validate.Positive(heads, "--heads");
        if (headDim is int d)
        {
            Validate.Positive(d, "--head-dim");
            return d;
        }
        Validate.Positive(hidden, "--hidden");
        if (hidden % heads != 0)
            throw new CliException($"hidden size {hidden} is not divisible by {heads} heads; pass --head-dim");
        return hidden / heads;
    }

    public static void CheckGroups(int heads, int kvGroups)
    {
        Validate.Positive(kvGroups, "--kv-groups");
        if (kvGroups > heads || heads % kvGroups != 0)
            throw new CliException($"{heads} heads are not divisible by {kvGroups} KV groups (G must divide H)");
    }
}

internal static class Validate
{
    public static void Positive(long value, string name)
    {
        if (value <= 0) throw new CliException($"{name} must be a positive number (got {value})");
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new CliException($"{name} must be a positive number (got {value})");
    }
}
