using System.Text.Json;

namespace GqaGen.Cli.Tests;

public class EstimateTests
{
    private static readonly string[] Llama = ["estimate", "--hidden", "4096", "--heads", "32", "--layers", "32", "--context", "32768",
        "--kv-groups", "8", "--batch", "1", "--dtype", "bf16"];

    private static string RowOf(string output, string attention) =>
        output.Split('\n').Single(l => l.TrimStart('│', ' ').StartsWith(attention + " ", StringComparison.Ordinal));

    [Fact]
    public void Table_shows_MHA_GQA_and_MQA()
    {
        var r = CliRunner.Run(Llama);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Err);
        Assert.Contains("GB (10^9 B)", r.Out);
        Assert.Contains("GiB (2^30 B)", r.Out);
        string mha = RowOf(r.Out, "MHA"), gqa = RowOf(r.Out, "GQA"), mqa = RowOf(r.Out, "MQA");
        Assert.Contains("17.18 GB", mha);
        Assert.Contains("16.00 GiB", mha);
        Assert.Contains("524,288 B", mha);
        Assert.Contains("4.29 GB", gqa);
        Assert.Contains("4.00×", gqa);
        Assert.Contains("75.00%", gqa);
        Assert.Contains("4.00 GiB", gqa);
        Assert.Contains("32.00×", mqa);
        Assert.Contains("96.88%", mqa);
    }

    [Fact]
    public void Json_is_machine_readable()
    {
        var r = CliRunner.Run([.. Llama, "--json"]);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var rows = doc.RootElement.GetProperty("rows");
        Assert.Equal(3, rows.GetArrayLength());
        Assert.Equal("GQA", rows[1].GetProperty("attention").GetString());
        Assert.Equal(4_294_967_296d, rows[1].GetProperty("totalBytes").GetDouble());
        Assert.Equal(4.0, rows[1].GetProperty("ratioVsMha").GetDouble(), 9);
        Assert.Equal(75.0, rows[1].GetProperty("savingPercent").GetDouble(), 9);
        Assert.Equal(128, doc.RootElement.GetProperty("headDim").GetInt32());
    }

    [Fact]
    public void HeadDim_overrides_hidden_over_heads()
    {
        // Gemma-2-9B: hidden 3584, 16 heads, head_dim 256 (not 224).
        var r = CliRunner.Run("estimate", "--hidden", "3584", "--heads", "16", "--layers", "42", "--context", "8192", "--kv-groups", "8",
            "--head-dim", "256", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(256, doc.RootElement.GetProperty("headDim").GetInt32());
        Assert.Equal(2.0 * 42 * 8 * 256 * 8192 * 2, doc.RootElement.GetProperty("rows")[1].GetProperty("totalBytes").GetDouble());
    }

    [Fact]
    public void Q4_uses_the_scale_overhead()
    {
        var r = CliRunner.Run("estimate", "--hidden", "4096", "--heads", "32", "--layers", "32", "--context", "32768", "--kv-groups", "8",
            "--dtype", "q4", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(4_294_967_296d / 2 * 0.5625, doc.RootElement.GetProperty("rows")[1].GetProperty("totalBytes").GetDouble());
    }

    [Theory]
    [InlineData("--kv-groups", "7", "divisible")]
    [InlineData("--kv-groups", "64", "divisible")]
    [InlineData("--kv-groups", "0", "--kv-groups must be a positive")]
    [InlineData("--layers", "0", "--layers must be a positive")]
    [InlineData("--context", "-5", "--context must be a positive")]
    [InlineData("--batch", "0", "--batch must be a positive")]
    [InlineData("--heads", "0", "--heads must be a positive")]
    [InlineData("--hidden", "-1", "--hidden must be a positive")]
    [InlineData("--dtype", "fp4", "unknown dtype 'fp4'")]
    [InlineData("--hidden", "abc", "--hidden")]
    public void Bad_input_is_one_line_and_exit_code_1(string option, string value, string message)
    {
        var args = Llama.ToList();
        int i = args.IndexOf(option);
        args[i + 1] = value;
        CliRunner.AssertFails(CliRunner.Run([.. args]), message);
    }

    [Fact]
    public void Hidden_not_divisible_by_heads_is_an_error() =>
        CliRunner.AssertFails(CliRunner.Run("estimate", "--hidden", "4100", "--heads", "32", "--layers", "32", "--context", "1024",
            "--kv-groups", "8"), "--head-dim");

    [Fact]
    public void Missing_required_option_is_an_error() =>
        CliRunner.AssertFails(CliRunner.Run("estimate", "--hidden", "4096"), "--heads");

    [Fact]
    public void Unknown_command_is_an_error() =>
        CliRunner.AssertFails(CliRunner.Run("frobnicate"), "frobnicate");

    [Fact]
    public void Help_describes_the_Q4_formula()
    {
        var r = CliRunner.Run("estimate", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("0.5625", r.Out);
        Assert.Contains("--kv-groups", r.Out);
    }
}
