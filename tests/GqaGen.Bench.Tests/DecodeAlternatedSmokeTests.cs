using System.Text.RegularExpressions;
using GqaGen.Bench.Alternated;
using GqaGen.Bench.Versus;

namespace GqaGen.Bench.Tests;

/// <summary>
/// <c>decode-alternated</c> end to end on a short cache (TinyLlama's layout, 64 positions, a 1 MiB read, two rounds):
/// every row gated and timed, the bars printed; and its command-line errors. The times mean nothing here.
/// </summary>
public sealed class DecodeAlternatedSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void PrintsEveryRowAndEveryBar()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = DecodeAlternatedBench.Run(
            ["--layouts", "TinyLlama", "--contexts", "64", "--threads", "1,2", "--rounds", "2", "--read-bytes", $"{1 << 20}"], stdout, stderr);

        string text = stdout.ToString();
        output.WriteLine(text);
        output.WriteLine(stderr.ToString());
        Assert.Equal(0, exit);
        Assert.Contains("### TinyLlama, 64 positions, 2 rounds", text);
        Assert.DoesNotContain("not timed", text);
        foreach (int threads in new[] { 1, 2 })
        {
            Assert.Matches($@"(?m)^\| read \(plain vector sum\) \| {threads} \| – \| [0-9.]+ \|", text);
            foreach (string kv in new[] { "f32", "f16", "bf16", "q8_0" })
            {
                foreach (string row in new[] { "GqaGen generated", "GqaGen generic" })
                    Assert.Matches($@"(?m)^\| {row} \| {threads} \| {kv} \| [0-9.]+ \| [0-9.]+–[0-9.]+ \| [0-9.]+ \| [0-9]+ % \(", text);
                Assert.Matches($@"(?m)^\| generated ÷ generic \| {threads} \| {kv} \| [0-9.]+× \| [0-9.]+×–[0-9.]+× \| ≥ 1\.00× \| (met|missed) \|$", text);
            }
            foreach (string kv in new[] { "f32", "f16" })
            {
                foreach (string row in new[] { "ONNX Runtime GQA", "TensorPrimitives" })
                    Assert.Matches($@"(?m)^\| {row} \| {threads} \| {kv} \| [0-9.]+ \|", text);
                Assert.Matches($@"(?m)^\| generated ÷ ONNX Runtime GQA \| {threads} \| {kv} \| [0-9.]+× \| .* \| ≥ 3\.00× \| (met|missed) \|$", text);
            }
            foreach (string kv in new[] { "f16", "bf16", "q8_0" })
                Assert.Matches($@"(?m)^\| generated: speed-up over fp32 \| {threads} \| {kv} \| [0-9.]+× \| .* \| ≥ [0-9.]+× \(at 32,768\) \| – \|$", text);
            Assert.Matches($@"(?m)^\| generated fp32 share of the {threads}-thread read \| {threads} \| f32 \| [0-9]+ % \|", text);
        }
        Assert.Matches(@"(?m)^\| generated: 2 threads ÷ 1 thread \| 2 \| q8_0 \|", text);
        Assert.Contains("round 2/2", stderr.ToString());
    }

    [Theory]
    [InlineData("--layouts", "Llama2")]
    [InlineData("--contexts", "0")]
    [InlineData("--threads", "1,x")]
    [InlineData("--kv", "f64")]
    [InlineData("--rounds", "0")]
    [InlineData("--read-bytes", "1000")]
    [InlineData("--read-bytes", "18253611008")]
    [InlineData("--threads", "1,100000")]
    [InlineData("--contexts", "100000000")]
    [InlineData("--unknown", "1")]
    public void RejectsABadArgumentWithTheUsageAndExitCode2(string option, string value)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = DecodeAlternatedBench.Run([option, value], stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", stderr.ToString());
        Assert.Contains("--no-peers", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void RatiosAreTakenRoundByRound()
    {
        // Round by round: 10/5 = 2, 30/20 = 1.5, 20/4 = 5, so the median speed-up is 2, where the medians' ratio is 20/5 = 4.
        List<double> speedups = AlternatedRun.Speedup([10, 30, 20], [5, 20, 4]);
        Assert.Equal([2.0, 1.5, 5.0], speedups);
        Assert.Equal(2.0, VersusResults.Median(speedups));
        Assert.NotEqual(VersusResults.Median([10, 30, 20]) / VersusResults.Median([5, 20, 4]), VersusResults.Median(speedups));
        Assert.Equal(2.5, VersusResults.Median([4, 1, 3, 2]));
    }
}
