using System.Text.Json;
using GqaGen.Gguf;

namespace GqaGen.Cli.Tests;

/// <summary>Odd but possible model descriptions: sizes that would overflow, malformed lists, dtypes the cache is not
/// kept in, Qwen2's partial windows, and GGUF windows and window patterns.</summary>
public class ConfigRobustnessTests
{
    private const string Base = """
        "num_attention_heads":8,"num_key_value_heads":2,"num_hidden_layers":4,"hidden_size":512,"max_position_embeddings":4096
        """;

    private static CliRunner.Result Inspect(string json, params string[] extra)
    {
        using var dir = new TempDir();
        return CliRunner.Run(["inspect", dir.Write("config.json", json), .. extra]);
    }

    private static JsonElement InspectJson(string json)
    {
        var r = Inspect(json, "--json", "--context", "4096");
        Assert.True(r.ExitCode == 0, r.Err);
        return JsonDocument.Parse(r.Out).RootElement.Clone();
    }

    [Theory]
    [InlineData("head_dim", 2147483647)]
    [InlineData("num_hidden_layers", 2000000000)]
    [InlineData("num_attention_heads", 1048576)]
    public void Sizes_beyond_any_model_are_one_error_line_not_an_overflow(string key, int value)
    {
        string json = "{" + Base.Replace($"\"{key}\":", $"\"_{key}\":", StringComparison.Ordinal) + $",\"{key}\":{value}}}";
        CliRunner.AssertFails(Inspect(json), $"{key} must be between 1 and 32,768 (got {value:N0})");
    }

    [Fact]
    public void A_layer_types_entry_that_is_not_a_string_is_named()
    {
        string json = "{" + Base + ""","sliding_window":1024,"layer_types":["sliding_attention",3,"full_attention","full_attention"]}""";
        CliRunner.AssertFails(Inspect(json), "layer_types[1] is Number");
    }

    /// <summary>A checkpoint stored in a type no KV cache is kept in (fp8 weights, "auto", or anything unknown) no
    /// longer fails the command: the cache is counted in bf16, and the reason names the config's value.</summary>
    [Theory]
    [InlineData("float8_e4m3fn")]
    [InlineData("auto")]
    [InlineData("complex64")]
    public void A_torch_dtype_the_cache_is_not_kept_in_means_bf16_and_says_so(string torchDtype)
    {
        JsonElement root = InspectJson("{" + Base + $$""","torch_dtype":"{{torchDtype}}"}""");
        Assert.Equal("bf16", root.GetProperty("dtype").GetString());
        Assert.Contains($"torch_dtype {torchDtype} is not a KV cache type", root.GetProperty("dtypeReason").GetString());
    }

    [Fact]
    public void Qwen2_slides_only_the_layers_from_max_window_layers_on()
    {
        JsonElement root = InspectJson("{" + Base + ""","model_type":"qwen2","use_sliding_window":true,"sliding_window":1024,"max_window_layers":2}""");
        int?[] windows = root.GetProperty("windowPerLayer").EnumerateArray()
            .Select(w => w.ValueKind == JsonValueKind.Null ? (int?)null : w.GetInt32()).ToArray();
        Assert.Equal(new int?[] { null, null, 1024, 1024 }, windows);
    }

    private static string WriteGguf(TempDir dir, string arch, Action<GgufWriter> extra)
    {
        var writer = new GgufWriter()
            .AddString("general.architecture", arch)
            .AddUInt32($"{arch}.attention.head_count", 4)
            .AddUInt32($"{arch}.attention.head_count_kv", 2)
            .AddUInt32($"{arch}.embedding_length", 64)
            .AddUInt32($"{arch}.block_count", 4)
            .AddUInt32($"{arch}.context_length", 1024);
        extra(writer);
        string path = Path.Combine(dir.Path, arch + ".gguf");
        writer.WriteTo(path);
        return path;
    }

    [Fact]
    public void A_GGUF_window_that_is_not_positive_is_an_error()
    {
        using var dir = new TempDir();
        string path = WriteGguf(dir, "llama", w => w.AddInt32("llama.attention.sliding_window", 0));
        CliRunner.AssertFails(CliRunner.Run("inspect", path), "sliding_window must be positive (got 0)");
    }

    [Theory]
    [InlineData("gpt-oss", null, new[] { true, false, true, false })]   // llama.cpp: every other layer slides
    [InlineData("cohere2", null, new[] { true, true, true, false })]    // llama.cpp: three of four
    [InlineData("llama", null, new[] { true, true, true, true })]       // a window with no pattern: every layer (Mistral)
    [InlineData("llama", 2u, new[] { true, false, true, false })]       // the file's own pattern wins
    public void GGUF_windows_follow_the_architecture_or_the_files_pattern(string arch, uint? pattern, bool[] sliding)
    {
        using var dir = new TempDir();
        string path = WriteGguf(dir, arch, w =>
        {
            w.AddUInt32($"{arch}.attention.sliding_window", 128);
            if (pattern is uint p)
                w.AddUInt32($"{arch}.attention.sliding_window_pattern", p);
        });
        var r = CliRunner.Run("inspect", path, "--json", "--context", "1024");
        Assert.True(r.ExitCode == 0, r.Err);
        bool[] actual = JsonDocument.Parse(r.Out).RootElement.GetProperty("windowPerLayer").EnumerateArray()
            .Select(w => w.ValueKind != JsonValueKind.Null).ToArray();
        Assert.Equal(sliding, actual);
    }

    /// <summary>For a latent-attention model the kv-dtype advice is about its own MLA cache, not the hypothetical G rows,
    /// and no G is recommended. DeepSeek-V2-Lite at 163,840 tokens, batch 4: 20.38 GB of bf16 latent cache against the
    /// 14.29 GB left beside fp8 weights; fp8 halves it to 10.19 GB.</summary>
    [Fact]
    public void Plan_advises_a_latent_model_about_its_own_cache()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("plan", "--config", dir.Write("config.json", PublishedConfigs.DeepSeekV2Lite), "--context", "163840",
            "--batch", "4", "--memory", "30GB", "--reserve", "0", "--weights-dtype", "fp8", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.False(root.GetProperty("modelLayoutFits").GetBoolean());
        Assert.False(root.TryGetProperty("recommendedKvGroups", out JsonElement recommended) && recommended.ValueKind != JsonValueKind.Null,
            $"A latent-attention model got a recommended G: {recommended}");
        var kvDtype = root.GetProperty("suggestions").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "kv-dtype");
        Assert.Equal("--kv-dtype fp8 fits the model's MLA cache", kvDtype.GetProperty("text").GetString());
    }
}
