using GqaGen.Gguf;

namespace GqaGen.Cli;

/// <summary>
/// Reads the attention layout from a GGUF file's metadata, with llama.cpp's key names:
/// <c>general.architecture</c>, then <c>{arch}.attention.head_count</c>, <c>{arch}.attention.head_count_kv</c>
/// (absent means MHA), <c>{arch}.embedding_length</c>, <c>{arch}.block_count</c>, <c>{arch}.context_length</c>,
/// <c>{arch}.attention.key_length</c> (else embedding_length / head_count), <c>{arch}.attention.sliding_window</c>
/// and <c>general.name</c>. Latent attention from <c>deepseek2</c>-style keys (llama.cpp src/llama-arch.cpp):
/// <c>{arch}.attention.kv_lora_rank</c>, <c>{arch}.attention.q_lora_rank</c>, <c>{arch}.rope.dimension_count</c>,
/// <c>{arch}.attention.key_length_mla</c> / <c>value_length_mla</c> (newer files, where key_length is the latent
/// width) or <c>key_length</c> / <c>value_length</c> (older ones); experts from <c>{arch}.expert_count</c> and
/// <c>{arch}.expert_used_count</c>.
/// </summary>
/// <remarks>
/// GGUF says nothing about the KV cache's element type; llama.cpp's default cache is f16, so that is what the
/// byte counts assume. The parameter counts are exact, from the tensors: total is every tensor's elements; active
/// leaves out token_embd and, of each routed-expert tensor (<c>*_exps</c>), all but expert_used_count / expert_count.
/// The weight bytes are the tensors' real sizes in their own types (Q8_0, Q4_K, F16...).
/// </remarks>
public static class GgufConfigReader
{
    public static ModelConfig ReadFile(string path)
    {
        GgufFile file;
        try
        {
            file = GgufFile.Open(path);
        }
        catch (GgufFormatException e)
        {
            throw new CliException($"'{path}' is not a valid GGUF file: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot read '{path}': {e.Message}");
        }

        using (file)
            return FromMetadata(file, path);
    }

    public static ModelConfig FromMetadata(GgufFile file, string source)
    {
        try
        {
            string arch = Require(file, source, "general.architecture").AsString();
            int heads = RequireInt(file, source, $"{arch}.attention.head_count");
            int kvHeads = OptionalInt(file, source, $"{arch}.attention.head_count_kv") ?? heads;
            int hidden = RequireInt(file, source, $"{arch}.embedding_length");
            int layers = RequireInt(file, source, $"{arch}.block_count");
            int? context = OptionalInt(file, source, $"{arch}.context_length");
            int? window = OptionalInt(file, source, $"{arch}.attention.sliding_window");
            int? keyLength = OptionalInt(file, source, $"{arch}.attention.key_length");

            if (heads <= 0 || kvHeads <= 0 || hidden <= 0 || layers <= 0)
                throw new CliException($"'{source}': head_count {heads}, head_count_kv {kvHeads}, embedding_length {hidden} and block_count {layers} must all be positive");
            ConfigReader.Dimension(heads, source, $"{arch}.attention.head_count");
            ConfigReader.Dimension(layers, source, $"{arch}.block_count");
            if (heads % kvHeads != 0)
                throw new CliException($"'{source}': {arch}.attention.head_count {heads} is not divisible by {arch}.attention.head_count_kv {kvHeads}");
            if (keyLength is null && hidden % heads != 0)
                throw new CliException($"'{source}': embedding_length {hidden} is not divisible by head_count {heads} and {arch}.attention.key_length is missing");
            int headDim = keyLength ?? hidden / heads;
            int valueHeadDim = OptionalInt(file, source, $"{arch}.attention.value_length") ?? headDim;
            ConfigReader.Dimension(headDim, source, $"{arch}.attention.key_length");
            ConfigReader.Dimension(valueHeadDim, source, $"{arch}.attention.value_length");

            LatentAttention? latent = null;
            if (OptionalInt(file, source, $"{arch}.attention.kv_lora_rank") is int rank)
            {
                int rope = RequireInt(file, source, $"{arch}.rope.dimension_count");
                // Since llama.cpp's MLA support (PR 12801) key_length is the latent width kv_lora_rank + rope and the
                // per-head widths moved to key_length_mla / value_length_mla.
                int keyMla = OptionalInt(file, source, $"{arch}.attention.key_length_mla") ?? headDim;
                int valueMla = OptionalInt(file, source, $"{arch}.attention.value_length_mla") ?? valueHeadDim;
                ConfigReader.Dimension(rank, source, $"{arch}.attention.kv_lora_rank");
                ConfigReader.Dimension(rope, source, $"{arch}.rope.dimension_count");
                ConfigReader.Dimension(valueMla, source, $"{arch}.attention.value_length_mla");
                if (keyMla <= rope || keyMla > ModelConfig.MaxDimension)
                    throw new CliException($"'{source}': {arch}.attention.key_length_mla {keyMla} must exceed rope.dimension_count {rope} (it is the no-RoPE part plus the RoPE part) and be at most {ModelConfig.MaxDimension:N0}");
                latent = new LatentAttention(rank, rope, keyMla - rope, valueMla, OptionalInt(file, source, $"{arch}.attention.q_lora_rank"));
                kvHeads = heads;
                headDim = keyMla;
                valueHeadDim = valueMla;
            }

            if (window is <= 0)
                throw new CliException($"'{source}': {arch}.attention.sliding_window must be positive (got {window})");
            // Every pattern-th layer is global, the others slide (llama.cpp's set_swa_pattern). The file's own
            // {arch}.attention.sliding_window_pattern wins; otherwise llama.cpp's defaults for the architectures known
            // to alternate (Gemma-2 and gpt-oss every other layer, Cohere2 one in four, Gemma-3 one in six); any other
            // architecture with a window slides on every layer, as Mistral does.
            int pattern = OptionalInt(file, source, $"{arch}.attention.sliding_window_pattern")
                ?? arch switch { "gemma2" or "gpt-oss" => 2, "cohere2" => 4, "gemma3" => 6, _ => 0 };
            int?[] windows = Enumerable.Range(0, layers)
                .Select(i => window is int w && (pattern <= 0 || (i + 1) % pattern != 0) ? w : (int?)null).ToArray();

            ParameterCount? parameters = null;
            double? weightBytes = null;
            if (file.Tensors.Count > 0)
            {
                int experts = OptionalInt(file, source, $"{arch}.expert_count") ?? 0;
                int used = OptionalInt(file, source, $"{arch}.expert_used_count") ?? 0;
                double total = 0, active = 0, inputEmbedding = 0;
                foreach (var tensor in file.Tensors)
                {
                    total += tensor.ElementCount;
                    // The input embedding is a lookup of one row per token (unless it doubles as the output matrix).
                    if (tensor.Name.StartsWith("token_embd.", StringComparison.Ordinal) && file.TryGetTensor("output.weight", out _))
                    {
                        inputEmbedding += tensor.ElementCount;
                        continue;
                    }
                    bool routed = experts > 1 && tensor.Name.Contains("_exps.", StringComparison.Ordinal);
                    active += routed ? tensor.ElementCount * (double)used / experts : tensor.ElementCount;
                }
                string? expertText = experts > 1
                    ? $"{experts} routed experts, {used} per token" + (OptionalInt(file, source, $"{arch}.expert_shared_count") is int sh and > 0 ? $", {sh} shared" : "")
                    : null;
                parameters = experts > 1
                    ? new ParameterCount(total, active, expertText, inputEmbedding)
                    : new ParameterCount(total, total, null);
                weightBytes = file.Tensors.Sum(t => (double)t.ByteSize);
            }
            string name = file.TryGetValue("general.name", out GgufValue? n) && !n.IsArray && n.AsString() is { Length: > 0 } text
                ? text
                : Path.GetFileNameWithoutExtension(source);
            return new ModelConfig(name, arch, layers, hidden, heads, kvHeads, headDim, valueHeadDim, keyLength is not null, context,
                windows, null, KvDtype.Fp16, "fp16 (GGUF: llama.cpp's default f16 KV cache)", latent, parameters, weightBytes, source);
        }
        catch (GgufFormatException e)
        {
            throw new CliException($"'{source}': {e.Message}");
        }
    }

    private static GgufValue Require(GgufFile file, string source, string key)
        => file.TryGetValue(key, out GgufValue? value) ? value : throw new CliException($"'{source}': missing key '{key}'");

    private static int RequireInt(GgufFile file, string source, string key) => ToInt(Require(file, source, key), source, key);

    private static int? OptionalInt(GgufFile file, string source, string key)
        => file.TryGetValue(key, out GgufValue? value) ? ToInt(value, source, key) : null;

    private static int ToInt(GgufValue value, string source, string key)
    {
        // Some models store per-layer head counts as an array; one layout needs them all equal.
        if (value.IsArray)
            throw new CliException($"'{source}': '{key}' is a per-layer array; layouts with different head counts per layer are not supported");
        long number = value.AsInteger();
        return number is >= int.MinValue and <= int.MaxValue
            ? (int)number
            : throw new CliException($"'{source}': '{key}' = {number} is out of range");
    }
}
