using GqaGen.Gguf;

namespace GqaGen.Cli;

/// <summary>
/// Reads the attention layout from a GGUF file's metadata, with llama.cpp's key names:
/// <c>general.architecture</c>, then <c>{arch}.attention.head_count</c>, <c>{arch}.attention.head_count_kv</c>
/// (absent means MHA), <c>{arch}.embedding_length</c>, <c>{arch}.block_count</c>, <c>{arch}.context_length</c>,
/// <c>{arch}.attention.key_length</c> (else embedding_length / head_count) and <c>{arch}.attention.sliding_window</c>.
/// </summary>
/// <remarks>
/// GGUF says nothing about the KV cache's element type; llama.cpp's default cache is f16, so that is what the
/// byte counts assume. The parameter count is exact: the sum of the tensors' element counts.
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
            if (heads % kvHeads != 0)
                throw new CliException($"'{source}': {arch}.attention.head_count {heads} is not divisible by {arch}.attention.head_count_kv {kvHeads}");
            if (keyLength is null && hidden % heads != 0)
                throw new CliException($"'{source}': embedding_length {hidden} is not divisible by head_count {heads} and {arch}.attention.key_length is missing");
            int headDim = keyLength ?? hidden / heads;

            double? parameters = file.Tensors.Count == 0 ? null : file.Tensors.Sum(t => (double)t.ElementCount);
            return new ModelConfig(arch, layers, hidden, heads, kvHeads, headDim, keyLength is not null, context, window,
                "gguf (llama.cpp's default f16 KV cache)", KvDtype.Fp16, parameters);
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
