namespace GqaGen.Cli.Tests;

/// <summary>Help names the command users type, gqagen, not the assembly (GqaGen.Cli).</summary>
public class HelpTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void RootHelp_OpensWithGqagen_AndUsageNamesIt(string option)
    {
        var r = CliRunner.Run(option);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("gqagen: ", r.Out.TrimStart());
        Assert.Contains("gqagen [command] [options]", r.Out);
        Assert.DoesNotContain("GqaGen.Cli", r.Out);
        Assert.DoesNotContain("Description:", r.Out);
    }

    [Fact]
    public void NoArguments_PrintsTheRootHelp() =>
        Assert.Equal(CliRunner.Run("--help").Out, CliRunner.Run().Out);

    [Theory]
    [InlineData("estimate")]
    [InlineData("plan")]
    [InlineData("inspect")]
    [InlineData("plot")]
    [InlineData("heatmap")]
    public void SubcommandHelp_UsageNamesGqagen(string command)
    {
        var r = CliRunner.Run(command, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"gqagen {command}", r.Out);
        Assert.DoesNotContain("GqaGen.Cli", r.Out);
    }
}
