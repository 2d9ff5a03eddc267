namespace GqaGen.Cli;

/// <summary>How a model's attention stores keys and values.</summary>
public enum AttentionKind
{
    /// <summary>Multi-head: one K/V head per query head (G = H).</summary>
    Mha,
    /// <summary>Grouped-query: 1 &lt; G &lt; H K/V heads shared by groups of query heads.</summary>
    Gqa,
    /// <summary>Multi-query: one K/V head for all query heads (G = 1).</summary>
    Mqa,
    /// <summary>
    /// Multi-head latent attention (DeepSeek-V2/V3, Kimi-K2): the cache holds one compressed latent of
    /// kv_lora_rank elements plus the shared rotary key of qk_rope_head_dim elements per token and layer.
    /// </summary>
    Mla,
}

/// <summary>
/// The latent-attention keys of a DeepSeek-V2-style config.json (deepseek-ai/DeepSeek-V2 modeling_deepseek.py):
/// the cache per token and layer is <see cref="KvLoraRank"/> + <see cref="QkRopeHeadDim"/> elements; each head
/// expands it into a key of qk_nope + qk_rope elements and a value of v_head_dim elements.
/// </summary>
public sealed record LatentAttention(int KvLoraRank, int QkRopeHeadDim, int QkNopeHeadDim, int VHeadDim, int? QLoraRank)
{
    /// <summary>Elements cached per token and layer: the latent plus the rotary key shared by all heads.</summary>
    public int CachedElementsPerLayer => KvLoraRank + QkRopeHeadDim;

    /// <summary>The per-head key width after expansion (what an MHA cache would store per head).</summary>
    public int KeyHeadDim => QkNopeHeadDim + QkRopeHeadDim;
}

/// <summary>Total and per-token active parameter counts (experts not routed to a token are inactive).</summary>
/// <param name="Total">Every weight the model holds in memory.</param>
/// <param name="Active">For mixtures of experts, the weights one token uses: shared layers plus the routed experts it
/// selects, without the input embedding table (a lookup reads one row of it). Model cards differ here: DeepSeek's
/// "2.4B activated" leaves the embedding out, Mixtral's 12.9B and Qwen1.5-MoE's 2.7B count it, hence
/// <paramref name="InputEmbedding"/>. Equal to <paramref name="Total"/> for dense models.</param>
/// <param name="Experts">A description such as "8 routed experts, 2 per token", or null for dense models.</param>
/// <param name="InputEmbedding">Parameters of the input embedding left out of <paramref name="Active"/> (0 when tied
/// to the output matrix, which every token does use).</param>
public sealed record ParameterCount(double Total, double Active, string? Experts, double InputEmbedding = 0)
{
    public double ActiveWithEmbedding => Active + InputEmbedding;
}

/// <summary>
/// One model description, produced by the config.json reader, the GGUF reader and the built-in catalog, and
/// consumed by <c>inspect</c>, <c>plan</c> and <see cref="KvCacheMath.ModelBytes"/> (the one KV-bytes computation).
/// </summary>
/// <param name="KvHeads">K/V heads G (equal to Heads for MHA and MLA, 1 for MQA).</param>
/// <param name="HeadDim">Key head width; for MLA, qk_nope + qk_rope.</param>
/// <param name="ValueHeadDim">Value head width; equal to HeadDim except for MLA (v_head_dim).</param>
/// <param name="WindowPerLayer">For each layer, its sliding window in tokens, or null for a global layer.</param>
/// <param name="Dtype">The KV-cache element type used when the caller names none: the serving dtype.</param>
/// <param name="DtypeReason">Where <paramref name="Dtype"/> came from, for the output.</param>
/// <param name="WeightBytes">The weights' real size in bytes when known (a GGUF file's tensors); else null.</param>
public sealed record ModelConfig(
    string Name,
    string? ModelType,
    int Layers,
    int Hidden,
    int Heads,
    int KvHeads,
    int HeadDim,
    int ValueHeadDim,
    bool HeadDimFromConfig,
    int? MaxContext,
    IReadOnlyList<int?> WindowPerLayer,
    string? TorchDtype,
    KvDtype Dtype,
    string DtypeReason,
    LatentAttention? Latent,
    ParameterCount? Parameters,
    double? WeightBytes,
    string Source)
{
    /// <summary>Largest layer count, head count or head size the readers accept (2^15): far above any published
    /// model, and small enough that heads · head_dim and the per-layer arrays cannot overflow or exhaust memory.</summary>
    public const int MaxDimension = 1 << 15;

    public int HeadsPerGroup => Heads / KvHeads;

    public AttentionKind Attention => Latent is not null ? AttentionKind.Mla
        : KvHeads == Heads ? AttentionKind.Mha : KvHeads == 1 ? AttentionKind.Mqa : AttentionKind.Gqa;

    /// <summary>The one window shared by every windowed layer, or null (used for display).</summary>
    public int? SlidingWindow => WindowPerLayer.FirstOrDefault(w => w is not null);

    public int WindowedLayers => WindowPerLayer.Count(w => w is not null);

    /// <summary>A dense model with the same window on every layer (or none): what the catalog and tests build.</summary>
    public static ModelConfig Dense(string name, int layers, int hidden, int heads, int kvHeads, int headDim, double parameters,
        int? maxContext, string source, int? slidingWindow = null, KvDtype? dtype = null) =>
        new(name, null, layers, hidden, heads, kvHeads, headDim, headDim, true, maxContext,
            Enumerable.Repeat(slidingWindow, layers).ToArray(), null, dtype ?? KvDtype.Bf16, "bf16 (serving dtype)", null,
            new ParameterCount(parameters, parameters, null), null, source);
}
