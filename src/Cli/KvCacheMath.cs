namespace GqaGen.Cli;

/// <summary>
/// KV-cache sizes. Uniform shapes: bytes = 2 (K and V) · layers · G · headDim · context · batch · bytesPerElement.
/// Whole models go through <see cref="ModelBytes"/>, layer by layer, which <c>inspect</c>, <c>plan</c> and
/// <c>estimate</c> share.
/// </summary>
public static class KvCacheMath
{
    /// <summary>
    /// Elements one layer caches per token: the MLA latent (kv_lora_rank + qk_rope_head_dim), or G heads of K
    /// (HeadDim) and V (ValueHeadDim). With <paramref name="kvGroups"/> the layer is counted as GQA with that many
    /// K/V heads instead, which for an MLA model is hypothetical (G = H is "the same heads as MHA").
    /// </summary>
    public static long ElementsPerTokenPerLayer(ModelConfig model, int? kvGroups = null) =>
        kvGroups is int g ? (long)g * (model.HeadDim + model.ValueHeadDim)
        : model.Latent is { } latent ? latent.CachedElementsPerLayer
        : (long)model.KvHeads * (model.HeadDim + model.ValueHeadDim);

    /// <summary>
    /// Bytes each layer caches for <paramref name="context"/> tokens of each of <paramref name="batch"/> sequences:
    /// a sliding-window layer keeps at most its window (a rolling cache), a global layer every token.
    /// </summary>
    public static double[] LayerBytes(ModelConfig model, long context, long batch, KvDtype dtype, int? kvGroups = null)
    {
        long elements = ElementsPerTokenPerLayer(model, kvGroups);
        var bytes = new double[model.Layers];
        for (int layer = 0; layer < model.Layers; layer++)
        {
            long tokens = model.WindowPerLayer[layer] is int window ? Math.Min(context, window) : context;
            bytes[layer] = (double)elements * tokens * batch * dtype.BytesPerElement;
        }
        return bytes;
    }

    /// <summary>The whole model's KV cache: the sum of <see cref="LayerBytes"/>.</summary>
    public static double ModelBytes(ModelConfig model, long context, long batch, KvDtype dtype, int? kvGroups = null) =>
        LayerBytes(model, context, batch, dtype, kvGroups).Sum();

    /// <summary>Bytes per token while the context is shorter than every window (each layer stores every token).</summary>
    public static double ModelBytesPerToken(ModelConfig model, KvDtype dtype, int? kvGroups = null) =>
        (double)ElementsPerTokenPerLayer(model, kvGroups) * model.Layers * dtype.BytesPerElement;

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
