using System.Text.Json;

namespace GqaGen.Cli;

/// <summary>The attention-relevant part of a Hugging Face config.json.</summary>
public sealed record ModelConfig(
    string? ModelType,
    int Layers,
    int Hidden,
    int Heads,
    int KvHeads,
    int HeadDim,
    bool HeadDimFromConfig,
    int? MaxContext,
    int? SlidingWindow,
    string? TorchDtype,
    KvDtype Dtype,
    double? EstimatedParameters)
{
    public int HeadsPerGroup => Heads / KvHeads;

    public ModelSpec ToSpec(string name, double parameters) =>
        new(name, Layers, Hidden, Heads, KvHeads, HeadDim, parameters, MaxContext, "config.json");
}

/// <summary>
/// Reads a Hugging Face config.json: num_attention_heads, num_key_value_heads (absent means MHA), head_dim
/// (or hidden_size / heads), num_hidden_layers, max_position_embeddings, sliding_window, torch_dtype (or dtype).
/// Falcon's keys are accepted too: n_head, n_layer, n_head_kv / num_kv_heads, multi_query.
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
        return Parse(text, path);
    }

    public static ModelConfig Parse(string json, string source = "config.json")
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

            Positive(heads, source, "num_attention_heads");
            Positive(layers, source, "num_hidden_layers");
            Positive(kvHeads, source, "num_key_value_heads");
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
            Positive(headDim, source, "head_dim");

            int? maxContext = OptInt(root, source, "max_position_embeddings", "max_sequence_length", "seq_length", "n_positions");
            int? window = OptInt(root, source, "sliding_window");
            if (root.TryGetProperty("use_sliding_window", out var usw) && usw.ValueKind == JsonValueKind.False)
                window = null;

            string? torchDtype = OptString(root, "torch_dtype", "dtype");
            KvDtype dtype = torchDtype is null ? KvDtype.Fp32 : KvDtype.Parse(torchDtype);

            double? estimate = EstimateParameters(root, source, layers, hidden ?? heads * headDim, heads, kvHeads, headDim);
            return new ModelConfig(OptString(root, "model_type"), layers, hidden ?? heads * headDim, heads, kvHeads, headDim,
                fromConfig, maxContext, window, torchDtype, dtype, estimate);
        }
    }

    /// <summary>Llama-style estimate (embeddings + attention + gated MLP); null when the keys are missing.</summary>
    private static double? EstimateParameters(JsonElement root, string source, int layers, int hidden, int heads, int kvHeads, int headDim)
    {
        if (OptInt(root, source, "vocab_size") is not int vocab || OptInt(root, source, "intermediate_size") is not int inter)
            return null;
        bool tied = root.TryGetProperty("tie_word_embeddings", out var t) && t.ValueKind == JsonValueKind.True;
        double attn = (double)hidden * heads * headDim * 2 + (double)hidden * kvHeads * headDim * 2;
        double mlp = 3.0 * hidden * inter;
        if (OptInt(root, source, "num_local_experts") is int experts) mlp *= experts;
        return (double)vocab * hidden * (tied ? 1 : 2) + layers * (attn + mlp + 2.0 * hidden);
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
}
