namespace GqaGen.Cli;

/// <summary>Attention shape and size of a model.</summary>
/// <param name="KvHeads">Number of KV heads (G); equal to Heads for MHA, 1 for MQA.</param>
/// <param name="Parameters">Total parameter count (for the weight memory).</param>
/// <param name="MaxContext">max_position_embeddings, when known.</param>
public sealed record ModelSpec(
    string Name, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, double Parameters, int? MaxContext, string Source);

/// <summary>
/// Built-in model table. Shapes are copied from each model's Hugging Face config.json
/// (num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads, head_dim); parameter counts
/// from the model card / safetensors metadata.
/// </summary>
public static class ModelCatalog
{
    public static IReadOnlyList<ModelSpec> Models { get; } =
    [
        // https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json
        new("Llama-2-7B", 32, 4096, 32, 32, 128, 6.74e9, 4096, "meta-llama/Llama-2-7b-hf config.json"),
        // https://huggingface.co/meta-llama/Llama-2-13b-hf/blob/main/config.json
        new("Llama-2-13B", 40, 5120, 40, 40, 128, 13.0e9, 4096, "meta-llama/Llama-2-13b-hf config.json"),
        // https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json
        new("Llama-2-70B", 80, 8192, 64, 8, 128, 68.98e9, 4096, "meta-llama/Llama-2-70b-hf config.json"),
        // https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json
        new("Llama-3-8B", 32, 4096, 32, 8, 128, 8.03e9, 8192, "meta-llama/Meta-Llama-3-8B config.json"),
        // https://huggingface.co/meta-llama/Meta-Llama-3-70B/blob/main/config.json
        new("Llama-3-70B", 80, 8192, 64, 8, 128, 70.55e9, 8192, "meta-llama/Meta-Llama-3-70B config.json"),
        // https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/config.json (head_dim 64)
        new("Llama-3.2-1B", 16, 2048, 32, 8, 64, 1.24e9, 131072, "meta-llama/Llama-3.2-1B config.json"),
        // https://huggingface.co/meta-llama/Llama-3.2-3B/blob/main/config.json
        new("Llama-3.2-3B", 28, 3072, 24, 8, 128, 3.21e9, 131072, "meta-llama/Llama-3.2-3B config.json"),
        // https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json (sliding_window 4096)
        new("Mistral-7B", 32, 4096, 32, 8, 128, 7.24e9, 32768, "mistralai/Mistral-7B-v0.1 config.json"),
        // https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json (all 8 experts held in memory)
        new("Mixtral-8x7B", 32, 4096, 32, 8, 128, 46.7e9, 32768, "mistralai/Mixtral-8x7B-v0.1 config.json"),
        // https://huggingface.co/tiiuae/falcon-7b/blob/main/config.json (n_head 71, multi_query true, hidden 4544)
        new("Falcon-7B", 32, 4544, 71, 1, 64, 7.22e9, 2048, "tiiuae/falcon-7b config.json"),
        // https://huggingface.co/tiiuae/falcon-40b/blob/main/config.json (n_head 128, n_head_kv 8, hidden 8192)
        new("Falcon-40B", 60, 8192, 128, 8, 64, 41.8e9, 2048, "tiiuae/falcon-40b config.json"),
        // https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json
        new("Qwen2.5-0.5B", 24, 896, 14, 2, 64, 0.494e9, 32768, "Qwen/Qwen2.5-0.5B config.json"),
        // https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json
        new("Qwen2.5-7B", 28, 3584, 28, 4, 128, 7.62e9, 131072, "Qwen/Qwen2.5-7B config.json"),
        // https://huggingface.co/TinyLlama/TinyLlama-1.1B-Chat-v1.0/blob/main/config.json
        new("TinyLlama-1.1B", 22, 2048, 32, 4, 64, 1.1e9, 2048, "TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json"),
        // https://huggingface.co/google/gemma-2-9b/blob/main/config.json (head_dim 256)
        new("Gemma-2-9B", 42, 3584, 16, 8, 256, 9.24e9, 8192, "google/gemma-2-9b config.json"),
        // https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json: MLA, counted here as MHA with
        // 128 heads x 128 dims (v_head_dim) over 61 layers, for comparison only; the real MLA cache is far smaller.
        new("DeepSeek-V3", 61, 7168, 128, 128, 128, 671e9, 163840, "deepseek-ai/DeepSeek-V3 config.json (MLA shown as MHA)"),
    ];

    /// <summary>Finds a model by name, ignoring case, dashes, dots and underscores.</summary>
    public static ModelSpec Find(string name)
    {
        string key = Normalize(name);
        return Models.FirstOrDefault(m => Normalize(m.Name) == key)
            ?? throw new CliException($"unknown model '{name}' (known: {string.Join(", ", Models.Select(m => m.Name))})");
    }

    private static string Normalize(string s) =>
        new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
