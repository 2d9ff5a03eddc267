namespace GqaGen.Cli;

/// <summary>
/// Built-in model table. Shapes are copied from each model's Hugging Face config.json
/// (num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads, head_dim); parameter counts
/// from the model card / safetensors metadata.
/// </summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelConfig> Models { get; } =
    [
        // https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json
        Dense("Llama-2-7B", 32, 4096, 32, 32, 128, 6.74e9, 4096, "meta-llama/Llama-2-7b-hf config.json"),
        // https://huggingface.co/meta-llama/Llama-2-13b-hf/blob/main/config.json
        Dense("Llama-2-13B", 40, 5120, 40, 40, 128, 13.0e9, 4096, "meta-llama/Llama-2-13b-hf config.json"),
        // https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json
        Dense("Llama-2-70B", 80, 8192, 64, 8, 128, 68.98e9, 4096, "meta-llama/Llama-2-70b-hf config.json"),
        // https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json
        Dense("Llama-3-8B", 32, 4096, 32, 8, 128, 8.03e9, 8192, "meta-llama/Meta-Llama-3-8B config.json"),
        // https://huggingface.co/meta-llama/Meta-Llama-3-70B/blob/main/config.json
        Dense("Llama-3-70B", 80, 8192, 64, 8, 128, 70.55e9, 8192, "meta-llama/Meta-Llama-3-70B config.json"),
        // https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/config.json (head_dim 64)
        Dense("Llama-3.2-1B", 16, 2048, 32, 8, 64, 1.24e9, 131072, "meta-llama/Llama-3.2-1B config.json"),
        // https://huggingface.co/meta-llama/Llama-3.2-3B/blob/main/config.json
        Dense("Llama-3.2-3B", 28, 3072, 24, 8, 128, 3.21e9, 131072, "meta-llama/Llama-3.2-3B config.json"),
        // https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json (sliding_window 4096)
        Dense("Mistral-7B", 32, 4096, 32, 8, 128, 7.24e9, 32768, "mistralai/Mistral-7B-v0.1 config.json", slidingWindow: 4096),
        // https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json (all 8 experts held in memory;
        // 46.7B total, 12.9B active per token per the model card; sliding_window null)
        Dense("Mixtral-8x7B", 32, 4096, 32, 8, 128, 46.7e9, 32768, "mistralai/Mixtral-8x7B-v0.1 config.json")
            // Active as ConfigReader counts it from that config: 12.75B without the 0.131B input embedding (12.88B with it).
            with { Parameters = new ParameterCount(46.7e9, 12.75e9, "8 routed experts, 2 per token", 32000.0 * 4096) },
        // https://huggingface.co/tiiuae/falcon-7b/blob/main/config.json (n_head 71, multi_query true, hidden 4544)
        Dense("Falcon-7B", 32, 4544, 71, 1, 64, 7.22e9, 2048, "tiiuae/falcon-7b config.json"),
        // https://huggingface.co/tiiuae/falcon-40b/blob/main/config.json (n_head 128, n_head_kv 8, hidden 8192)
        Dense("Falcon-40B", 60, 8192, 128, 8, 64, 41.8e9, 2048, "tiiuae/falcon-40b config.json"),
        // https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json
        Dense("Qwen2.5-0.5B", 24, 896, 14, 2, 64, 0.494e9, 32768, "Qwen/Qwen2.5-0.5B config.json"),
        // https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json
        Dense("Qwen2.5-7B", 28, 3584, 28, 4, 128, 7.62e9, 131072, "Qwen/Qwen2.5-7B config.json"),
        // https://huggingface.co/TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json
        Dense("TinyLlama-1.1B", 22, 2048, 32, 4, 64, 1.1e9, 2048, "TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json"),
        // https://huggingface.co/google/gemma-2-9b/blob/main/config.json (head_dim 256)
        // sliding_window 4096 on the even layers only (Transformers' Gemma2 modeling alternates local and global).
        Dense("Gemma-2-9B", 42, 3584, 16, 8, 256, 9.24e9, 8192, "google/gemma-2-9b config.json")
            with { WindowPerLayer = [.. Enumerable.Range(0, 42).Select(i => i % 2 == 0 ? 4096 : (int?)null)] },
        // https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json: multi-head latent attention,
        // kv_lora_rank 512 + qk_rope_head_dim 64 cached per token and layer; qk_nope_head_dim 128, v_head_dim 128,
        // q_lora_rank 1536; 671B total, 37B active (the model card; 256 routed experts, 8 per token, 1 shared).
        Dense("DeepSeek-V3", 61, 7168, 128, 128, 192, 671e9, 163840, "deepseek-ai/DeepSeek-V3 config.json") with
        {
            ValueHeadDim = 128,
            Latent = new LatentAttention(512, 64, 128, 128, 1536),
            // Active as ConfigReader counts it from that config: 36.63B without the 0.93B input embedding (37.55B with it).
            Parameters = new ParameterCount(671e9, 36.63e9, "256 routed experts, 8 per token, 1 shared, first 3 layers dense", 129280.0 * 7168),
        },
    ];

    private static ModelConfig Dense(string name, int layers, int hidden, int heads, int kvHeads, int headDim, double parameters,
        int? maxContext, string source, int? slidingWindow = null) =>
        ModelConfig.Dense(name, layers, hidden, heads, kvHeads, headDim, parameters, maxContext, source, slidingWindow)
            with { DtypeReason = "bf16 (the published checkpoints' torch_dtype or their serving dtype)" };

    /// <summary>Finds a model by name, ignoring case, dashes, dots and underscores.</summary>
    public static ModelConfig Find(string name)
    {
        string key = Normalize(name);
        return Models.FirstOrDefault(m => Normalize(m.Name) == key)
            ?? throw new CliException($"unknown model '{name}' (known: {string.Join(", ", Models.Select(m => m.Name))})");
    }

    private static string Normalize(string s) =>
        new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
