using System.Text.Json;

namespace GqaGen.Cli.Tests;

public class InspectTests
{
    private static CliRunner.Result Inspect(string json, params string[] extra)
    {
        using var dir = new TempDir();
        return CliRunner.Run(["inspect", dir.Write("config.json", json), .. extra]);
    }

    [Fact]
    public void Inspect_Llama3_8B_shows_its_layout()
    {
        var r = Inspect(Configs.Llama3_8B);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("GQA: 32 query heads, 8 KV heads", r.Out);
        Assert.Contains("131,072 B", r.Out); // 2 · 32 · 8 · 128 · 2
        Assert.Contains("1,073,741,824 B", r.Out); // at 8192 tokens
        Assert.Contains("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]", r.Out.Split('\n').Select(l => l.TrimEnd()));
    }

    [Fact]
    public void Inspect_Mistral7B_shows_its_sliding_window()
    {
        var r = Inspect(Configs.Mistral7B, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(4096, doc.RootElement.GetProperty("slidingWindow").GetInt32());
        Assert.Equal(32768, doc.RootElement.GetProperty("maxContext").GetInt32());
        Assert.Equal(4, doc.RootElement.GetProperty("headsPerGroup").GetInt32());
        Assert.Equal("[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]", doc.RootElement.GetProperty("layout").GetString());
        Assert.Contains("rolling cache of 4,096 tokens", Inspect(Configs.Mistral7B).Out);
    }

    [Fact]
    public void Inspect_Qwen25_7B_shows_its_layout()
    {
        var r = Inspect(Configs.Qwen25_7B, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var e = doc.RootElement;
        Assert.Equal(7, e.GetProperty("headsPerGroup").GetInt32());
        Assert.Equal(2.0 * 28 * 4 * 128 * 2, e.GetProperty("kvBytesPerToken").GetDouble());
        Assert.Equal(2.0 * 28 * 4 * 128 * 2 * 131072, e.GetProperty("kvBytesAtMaxContext").GetDouble());
        Assert.False(e.TryGetProperty("slidingWindow", out _)); // use_sliding_window false
        Assert.Equal("[GqaLayout(Heads = 28, KvGroups = 4, HeadDim = 128)]", e.GetProperty("layout").GetString());
    }

    [Fact]
    public void Inspect_Falcon7B_shows_multi_query_attention()
    {
        var r = Inspect(Configs.Falcon7B);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("MQA: 71 query heads, 1 KV heads", r.Out);
        Assert.Contains("8,192 B", r.Out); // 2 · 32 · 1 · 64 · 2
        Assert.Contains("not in config", r.Out);
        Assert.Contains("[GqaLayout(Heads = 71, KvGroups = 1, HeadDim = 64)]", r.Out);
    }

    [Fact]
    public void Absent_KV_head_count_means_MHA()
    {
        var r = Inspect("""{"num_attention_heads":32,"num_hidden_layers":32,"hidden_size":4096,"max_position_embeddings":4096,"torch_dtype":"float16"}""", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("MHA", doc.RootElement.GetProperty("attention").GetString());
        Assert.Equal(32, doc.RootElement.GetProperty("kvHeads").GetInt32());
        Assert.Equal("fp16", doc.RootElement.GetProperty("dtype").GetString());
    }

    [Theory]
    [InlineData("""{"num_hidden_layers":32,"hidden_size":4096}""", "missing key 'num_attention_heads'")]
    [InlineData("""{"num_attention_heads":32,"hidden_size":4096}""", "missing key 'num_hidden_layers'")]
    [InlineData("""{"num_attention_heads":32,"num_hidden_layers":32}""", "missing key 'hidden_size'")]
    [InlineData("""{"num_attention_heads":32,"num_key_value_heads":5,"num_hidden_layers":32,"hidden_size":4096}""", "not divisible")]
    [InlineData("""{"num_attention_heads":0,"num_hidden_layers":32,"hidden_size":4096}""", "num_attention_heads must be between 1 and 32,768 (got 0)")]
    [InlineData("""{"num_attention_heads":"32","num_hidden_layers":32,"hidden_size":4096}""", "must be an integer")]
    [InlineData("{ not json", "not valid JSON")]
    public void Bad_config_is_one_line_and_exit_code_1(string json, string message) => CliRunner.AssertFails(Inspect(json), message);


    [Fact]
    public void Missing_file_is_an_error() =>
        CliRunner.AssertFails(CliRunner.Run("inspect", Path.Combine(Path.GetTempPath(), "no-such-dir-gqagen", "config.json")), "cannot read");

    [Fact]
    public void Directory_is_an_error()
    {
        using var dir = new TempDir();
        CliRunner.AssertFails(CliRunner.Run("inspect", dir.Path), "cannot read");
    }
}
