using System.Text.Json;

namespace GqaGen.Cli;

/// <summary>
/// Reads a Hugging Face config.json: num_attention_heads, num_key_value_heads (absent means MHA), head_dim
/// (or hidden_size / heads), num_hidden_layers, max_position_embeddings, sliding_window, torch_dtype (or dtype).
/// Falcon's keys are accepted too: n_head, n_layer, n_head_kv / num_kv_heads, multi_query.
/// Latent attention (DeepSeek-V2/V3, Kimi-K2): kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim,
/// q_lora_rank. Windows per layer: layer_types, sliding_window_pattern, Gemma-2's alternation. Experts: Mixtral's
/// num_local_experts, Qwen-MoE's num_experts / shared_expert_intermediate_size, DeepSeek's n_routed_experts /
/// n_shared_experts / first_k_dense_replace, with moe_intermediate_size and num_experts_per_tok.
/// </summary>
public static class ConfigReader
{
    public static ModelConfig ReadFile(string path)
    {
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            return GgufConfigReader.ReadFile(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot read '{path}': {e.Message}");
        }
        // A downloaded config.json sits in a folder named after the model (models--org--name/snapshots/... for
        // the Hugging Face cache, so _name_or_path wins when the config has it).
        string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "";
        return Parse(text, path, folder.Length > 0 ? folder : "config");
    }

    public static ModelConfig Parse(string json, string source = "config.json", string name = "config")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CliException($"'{source}' is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CliException($"'{source}' is not a JSON object");
            // Multimodal configs (e.g. Llama 3.2 Vision, Gemma 3) keep the language model under text_config.
            if (!Has(root, "num_attention_heads", "n_head") && root.TryGetProperty("text_config", out var textConfig)
                && textConfig.ValueKind == JsonValueKind.Object)
                root = textConfig;

            int heads = RequireInt(root, source, "num_attention_heads", "n_head");
            int layers = RequireInt(root, source, "num_hidden_layers", "n_layer");
            int? hidden = OptInt(root, source, "hidden_size", "d_model", "n_embd");

            int kvHeads;
            if (OptInt(root, source, "num_key_value_heads", "num_kv_heads", "n_head_kv") is int kv)
                kvHeads = kv;
            else if (root.TryGetProperty("multi_query", out var mq) && mq.ValueKind == JsonValueKind.True)
                kvHeads = 1;
            else
                kvHeads = heads;

            Dimension(heads, source, "num_attention_heads");
            Dimension(layers, source, "num_hidden_layers");
            Dimension(kvHeads, source, "num_key_value_heads");
            if (heads % kvHeads != 0)
                throw new CliException($"'{source}': num_attention_heads {heads} is not divisible by num_key_value_heads {kvHeads}");

            int headDim;
            bool fromConfig = false;
            if (OptInt(root, source, "head_dim") is int hd)
            {
                headDim = hd;
                fromConfig = true;
            }
            else if (hidden is int h)
            {
                if (h % heads != 0)
                    throw new CliException($"'{source}': hidden_size {h} is not divisible by num_attention_heads {heads} and head_dim is missing");
                headDim = h / heads;
            }
            else
            {
                throw new CliException($"'{source}': missing key 'hidden_size' (or 'head_dim')");
            }
            Dimension(headDim, source, "head_dim");
            if (hidden is int hiddenSize)
                Positive(hiddenSize, source, "hidden_size");

            int? maxContext = OptInt(root, source, "max_position_embeddings", "max_sequence_length", "seq_length", "n_positions");
            IReadOnlyList<int?> windows = ReadWindows(root, source, layers);

            LatentAttention? latent = ReadLatent(root, source);
            int valueHeadDim = headDim;
            if (latent is not null)
            {
                // MLA caches no per-head K/V: num_key_value_heads (16 / 128 in DeepSeek's configs) only restates H.
                kvHeads = heads;
                headDim = latent.KeyHeadDim;
                valueHeadDim = latent.VHeadDim;
                fromConfig = true;
            }

            string? torchDtype = OptString(root, "torch_dtype", "dtype");
            (KvDtype dtype, string reason) = ServingDtype(torchDtype);

            var parameters = CountParameters(root, source, layers, hidden ?? heads * headDim, heads, kvHeads, headDim, latent);
            string modelName = OptString(root, "_name_or_path") is { Length: > 0 } n ? Path.GetFileName(n.TrimEnd('/')) : name;
            return new ModelConfig(modelName, OptString(root, "model_type"), layers, hidden ?? heads * headDim, heads, kvHeads, headDim,
                valueHeadDim, fromConfig, maxContext, windows, torchDtype, dtype, reason, latent, parameters, null, source);
        }
    }

    /// <summary>
    /// The KV cache is kept in the dtype the model is served in. bf16 and fp16 checkpoints are served as stored;
    /// an fp32 checkpoint (gemma-2-9b's config says float32) or one without torch_dtype is served in bf16 by
    /// vLLM and Transformers' usual torch_dtype="auto" setups, so fp32 is never assumed silently: pass --kv-dtype fp32.
    /// </summary>
    internal static (KvDtype Dtype, string Reason) ServingDtype(string? torchDtype)
    {
        if (torchDtype is null)
            return (KvDtype.Bf16, "bf16 (no torch_dtype in the config; bf16 assumed for serving, --kv-dtype to change)");
        // A checkpoint stored in a type the KV cache is not kept in (float8_e4m3fn, "auto", ...) is served with a bf16 cache.
        if (!KvDtype.TryParse(torchDtype, out KvDtype? stored))
            return (KvDtype.Bf16, $"bf16 (torch_dtype {torchDtype} is not a KV cache type; bf16 assumed for serving, --kv-dtype to change)");
        if (stored.BytesPerElement > 2)
            return (KvDtype.Bf16, $"bf16 (torch_dtype {torchDtype} is the checkpoint's storage type; served in bf16, --kv-dtype fp32 to count fp32)");
        return (stored, $"{stored} (torch_dtype {torchDtype})");
    }

    /// <summary>
    /// The window of each layer, or null for a global layer. Sources, most explicit first: <c>layer_types</c>
    /// ("sliding_attention" / "full_attention", Transformers 4.53+); <c>sliding_window_pattern</c> N (Gemma-3,
    /// Cohere2: every Nth layer is global); Gemma-2's fixed alternation (Transformers' Gemma2 modeling: even layers
    /// slide, odd layers are global); otherwise Mistral's window on every layer. <c>use_sliding_window: false</c>
    /// (Qwen2) turns the window off; when on, Qwen2 slides only the layers from <c>max_window_layers</c> on.
    /// </summary>
    private static int?[] ReadWindows(JsonElement root, string source, int layers)
    {
        var windows = new int?[layers];
        int? window = OptInt(root, source, "sliding_window");
        if (window is null || (root.TryGetProperty("use_sliding_window", out var usw) && usw.ValueKind == JsonValueKind.False))
            return windows;
        if (window <= 0)
            throw new CliException($"'{source}': sliding_window must be positive (got {window}); remove it or set it to null for no window");

        if (root.TryGetProperty("layer_types", out var types) && types.ValueKind == JsonValueKind.Array)
        {
            if (types.GetArrayLength() != layers)
                throw new CliException($"'{source}': layer_types has {types.GetArrayLength()} entries but num_hidden_layers is {layers}; they must match");
            int i = 0;
            foreach (var t in types.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String)
                    throw new CliException($"'{source}': layer_types[{i}] is {t.ValueKind}, not a string such as \"sliding_attention\" or \"full_attention\"");
                windows[i++] = t.GetString() == "sliding_attention" ? window : null;
            }
            return windows;
        }
        string? modelType = OptString(root, "model_type");
        // Qwen2 and Qwen2-MoE (Transformers' default layer_types): layers from max_window_layers on slide, those below are global.
        if (modelType?.StartsWith("qwen2", StringComparison.Ordinal) == true && OptInt(root, source, "max_window_layers") is int firstWindowed)
        {
            for (int i = Math.Max(0, firstWindowed); i < layers; i++)
                windows[i] = window;
            return windows;
        }
        int pattern = OptInt(root, source, "sliding_window_pattern")
            ?? (modelType == "gemma2" ? 2 : modelType is "gemma3" or "gemma3_text" ? 6 : 0);
        for (int i = 0; i < layers; i++)
            windows[i] = pattern <= 0 || (i + 1) % pattern != 0 ? window : null;
        return windows;
    }

    private static LatentAttention? ReadLatent(JsonElement root, string source)
    {
        if (OptInt(root, source, "kv_lora_rank") is not int rank)
            return null;
        int rope = RequireInt(root, source, "qk_rope_head_dim");
        int nope = RequireInt(root, source, "qk_nope_head_dim");
        int v = RequireInt(root, source, "v_head_dim");
        Dimension(rank, source, "kv_lora_rank");
        Dimension(rope, source, "qk_rope_head_dim");
        Dimension(nope, source, "qk_nope_head_dim");
        Dimension(v, source, "v_head_dim");
        return new LatentAttention(rank, rope, nope, v, OptInt(root, source, "q_lora_rank"));
    }

    /// <summary>
    /// Total and active parameters from the shapes: embeddings (twice unless tied), attention (Llama-style
    /// projections, or MLA's low-rank ones), two norms per layer and a gated MLP (3 · hidden · intermediate) that
    /// is, in MoE layers, routed experts plus shared experts plus a router of experts · hidden. Null when
    /// vocab_size or intermediate_size is missing.
    /// </summary>
    private static ParameterCount? CountParameters(JsonElement root, string source, int layers, int hidden, int heads, int kvHeads,
        int headDim, LatentAttention? latent)
    {
        if (OptInt(root, source, "vocab_size") is not int vocab || OptInt(root, source, "intermediate_size") is not int inter)
            return null;
        // Absent tie_word_embeddings takes the model class's default: True for Gemma (Transformers' Gemma/Gemma2/Gemma3
        // configs; gemma-2-9b's config.json omits the key), False for Llama, Mistral, Mixtral, Qwen2 and DeepSeek.
        bool tied = root.TryGetProperty("tie_word_embeddings", out var t)
            ? t.ValueKind == JsonValueKind.True
            : OptString(root, "model_type")?.StartsWith("gemma", StringComparison.Ordinal) == true;
        double embedding = (double)vocab * hidden;

        double attention;
        if (latent is { } l)
        {
            // DeepSeek-V2 modeling: q_a/q_b (or q_proj without q_lora_rank), kv_a_proj_with_mqa, kv_b_proj, o_proj, two low-rank norms.
            double qk = (double)heads * l.KeyHeadDim;
            double q = l.QLoraRank is int qr ? (double)hidden * qr + qr + qr * qk : hidden * qk;
            attention = q + (double)hidden * l.CachedElementsPerLayer + l.KvLoraRank
                + (double)l.KvLoraRank * heads * (l.QkNopeHeadDim + l.VHeadDim) + (double)heads * l.VHeadDim * hidden;
        }
        else
        {
            attention = (double)hidden * heads * headDim * 2 + (double)hidden * kvHeads * headDim * 2;
        }

        int routed = OptInt(root, source, "num_local_experts", "n_routed_experts", "num_experts") ?? 0;
        int perToken = OptInt(root, source, "num_experts_per_tok") ?? 0;
        double denseMlp = 3.0 * hidden * inter;
        double total = embedding * (tied ? 1 : 2) + hidden;
        double active = total - (tied ? 0 : embedding);
        if (routed <= 1)
        {
            double perLayer = attention + denseMlp + 2.0 * hidden;
            return new ParameterCount(total + layers * perLayer, total + layers * perLayer, null);
        }
        if (perToken <= 0 || perToken > routed)
            throw new CliException($"'{source}': num_experts_per_tok {perToken} must be between 1 and the {routed} experts");

        // Mixtral's experts use intermediate_size; Qwen-MoE and DeepSeek name the expert width moe_intermediate_size.
        double expert = 3.0 * hidden * (OptInt(root, source, "moe_intermediate_size") ?? inter);
        int sharedCount = OptInt(root, source, "n_shared_experts") ?? 0;
        double shared = sharedCount * expert;
        if (OptInt(root, source, "shared_expert_intermediate_size") is int sharedInter)
            shared += 3.0 * hidden * sharedInter + hidden; // Qwen-MoE: one shared expert and its sigmoid gate
        int denseLayers = Math.Min(layers, OptInt(root, source, "first_k_dense_replace") ?? 0);
        int moeLayers = layers - denseLayers;
        double common = layers * (attention + 2.0 * hidden) + denseLayers * denseMlp + moeLayers * (shared + routed * (double)hidden);
        total += common + moeLayers * routed * expert;
        active += common + moeLayers * perToken * expert;
        string experts = $"{routed} routed experts, {perToken} per token"
            + (sharedCount > 0 ? $", {sharedCount} shared" : root.TryGetProperty("shared_expert_intermediate_size", out _) ? ", 1 shared" : "")
            + (denseLayers > 0 ? $", first {denseLayers} layer{(denseLayers == 1 ? "" : "s")} dense" : "");
        return new ParameterCount(total, active, experts, tied ? 0 : embedding);
    }

    private static bool Has(JsonElement root, params string[] keys) =>
        keys.Any(k => root.TryGetProperty(k, out var v) && v.ValueKind != JsonValueKind.Null);

    private static int RequireInt(JsonElement root, string source, params string[] keys) =>
        OptInt(root, source, keys) ?? throw new CliException($"'{source}': missing key '{keys[0]}'");

    private static int? OptInt(JsonElement root, string source, params string[] keys)
    {
        foreach (string key in keys)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
            throw new CliException($"'{source}': key '{key}' must be an integer (got {v.GetRawText()})");
        }
        return null;
    }

    private static string? OptString(JsonElement root, params string[] keys)
    {
        foreach (string key in keys)
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString();
        }
        return null;
    }

    private static void Positive(int value, string source, string key)
    {
        if (value <= 0) throw new CliException($"'{source}': {key} must be positive (got {value})");
    }

    /// <summary>Layer, head and head-size counts: positive and at most <see cref="ModelConfig.MaxDimension"/>, far above any
    /// published model, so that products such as heads · head_dim stay exact and per-layer arrays stay small.</summary>
    internal static void Dimension(int value, string source, string key)
    {
        if (value <= 0 || value > ModelConfig.MaxDimension)
            throw new CliException($"'{source}': {key} must be between 1 and {ModelConfig.MaxDimension:N0} (got {value:N0})");
    }
}
