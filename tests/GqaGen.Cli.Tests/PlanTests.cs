using System.Text.Json;

namespace GqaGen.Cli.Tests;

public class PlanTests
{
    private static readonly ModelConfig Model13B = ModelConfig.Dense("13B", 40, 5120, 40, 40, 128, 13e9, 4096, "test");

    [Fact]
    public void Planner_for_13B_finds_only_MQA_fits()
    {
        var plan = Planner.Plan(Model13B, 65536, 32, Units.ParseBytes("80GB", "m"), Units.ParseReserve("10%", 80e9), KvDtype.Bf16, KvDtype.Bf16);
        Assert.Equal([1, 2, 4, 5, 8, 10, 20, 40], plan.Rows.Select(r => r.KvGroups));
        Assert.Equal([1], plan.Rows.Where(r => r.Fits).Select(r => r.KvGroups));
        Assert.Equal(1, plan.RecommendedKvGroups);
        Assert.Equal(26e9, plan.WeightsBytes);
        Assert.Equal(26e9 + 8e9 + 2.0 * 40 * 128 * 65536 * 32 * 2, plan.Rows[0].TotalBytes, 0);
    }

    [Fact]
    public void Plan_command_for_13B_recommends_G_1()
    {
        var r = CliRunner.Run("plan", "--model", "Llama-2-13B", "--context", "65536", "--batch", "32", "--memory", "80GB",
            "--weights-dtype", "bf16", "--kv-dtype", "bf16", "--reserve", "10%");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Recommended: G = 1", r.Out);
        Assert.Contains("[GqaLayout(Heads = 40, KvGroups = 1, HeadDim = 128)]", r.Out);
        Assert.Single(r.Out.Split('\n'), l => l.Contains("│ yes"));
    }

    [Fact]
    public void Nothing_fits_suggests_limits_that_fit()
    {
        var plan = Planner.Plan(Model13B, 131072, 32, 80e9, 8e9, KvDtype.Bf16, KvDtype.Bf16);
        Assert.Null(plan.RecommendedKvGroups);
        long maxBatch = (long)plan.Suggestions.Single(s => s.Kind == "batch").Value!.Value;
        long maxContext = (long)plan.Suggestions.Single(s => s.Kind == "context").Value!.Value;
        Assert.True(Planner.Plan(Model13B, 131072, maxBatch, 80e9, 8e9, KvDtype.Bf16, KvDtype.Bf16).Rows[0].Fits);
        Assert.False(Planner.Plan(Model13B, 131072, maxBatch + 1, 80e9, 8e9, KvDtype.Bf16, KvDtype.Bf16).Rows[0].Fits);
        Assert.True(Planner.Plan(Model13B, maxContext, 32, 80e9, 8e9, KvDtype.Bf16, KvDtype.Bf16).Rows[0].Fits);
        Assert.False(Planner.Plan(Model13B, maxContext + 1, 32, 80e9, 8e9, KvDtype.Bf16, KvDtype.Bf16).Rows[0].Fits);
        var kv = plan.Suggestions.Single(s => s.Kind == "kv-dtype");
        Assert.Contains("fp8", kv.Text);

        var r = CliRunner.Run("plan", "--model", "Llama-2-13B", "--context", "131072", "--batch", "32", "--memory", "80GB");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("No G fits", r.Out);
        Assert.Contains($"a batch of at most {maxBatch} fits", r.Out);
        Assert.Contains("--kv-dtype fp8", r.Out);
    }

    [Fact]
    public void Weights_alone_too_big_says_so()
    {
        var r = CliRunner.Run("plan", "--model", "Llama-2-70B", "--context", "4096", "--memory", "80GiB");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("weights alone", r.Out);
        Assert.Contains("--weights-dtype fp8", r.Out);
    }

    [Fact]
    public void Json_lists_rows_and_recommendation()
    {
        var r = CliRunner.Run("plan", "--model", "llama-3-8b", "--context", "8192", "--batch", "8", "--memory", "8e10", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(32, doc.RootElement.GetProperty("recommendedKvGroups").GetInt32());
        Assert.Equal(6, doc.RootElement.GetProperty("rows").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("rows")[3].GetProperty("isModelLayout").GetBoolean()); // G = 8
    }

    [Fact]
    public void Config_estimates_parameters()
    {
        using var dir = new TempDir();
        string path = dir.Write("config.json", Configs.Llama3_8B);
        var r = CliRunner.Run("plan", "--config", path, "--context", "8192", "--batch", "1", "--memory", "24GB", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        double p = doc.RootElement.GetProperty("model").GetProperty("parameters").GetDouble();
        Assert.InRange(p, 7.9e9, 8.1e9);
    }

    [Fact]
    public void Errors_are_one_line()
    {
        CliRunner.AssertFails(CliRunner.Run("plan", "--model", "GPT-9", "--context", "1", "--memory", "80GB"), "unknown model 'GPT-9'");
        CliRunner.AssertFails(CliRunner.Run("plan", "--context", "1", "--memory", "80GB"), "exactly one of");
        CliRunner.AssertFails(CliRunner.Run("plan", "--model", "Llama-3-8B", "--context", "1", "--memory", "lots"), "--memory");
        CliRunner.AssertFails(CliRunner.Run("plan", "--model", "Llama-3-8B", "--context", "0", "--memory", "80GB"), "--context");
        CliRunner.AssertFails(CliRunner.Run("plan", "--model", "Llama-3-8B", "--context", "1", "--memory", "80GB", "--kv-dtype", "x"), "unknown dtype");
        CliRunner.AssertFails(CliRunner.Run("plan", "--config", "/nonexistent/config.json", "--context", "1", "--memory", "80GB"), "cannot read");
    }
}
