using System.Text.RegularExpressions;
using GqaGen.Bench.Versus;
using GqaGen.Gguf;
using GqaGen.Synthetic;

namespace GqaGen.Bench.Tests;

/// <summary>
/// <c>decoder-versus</c> end to end on a tiny synthetic F16 model (2 layers, H = 4, G = 2, d = 16, a 512-token
/// SentencePiece vocabulary) with LLamaSharp loading the same file: a couple of steps, a short depth, one round; and its
/// command-line errors. llama.cpp's binaries are kept out (<c>--llama-bench</c> is not given and the default path is
/// only used when it exists, so the test passes with or without them: it passes a missing file to check the error).
/// </summary>
public sealed class DecoderVersusSmokeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gqagen-versus-").FullName;

    [Fact]
    public void PrintsEveryRowForEveryProgramAndThreadCount()
    {
        int seed = Random.Shared.Next();
        string model = WriteTinyModel(seed);
        int depth = 24 + Random.Shared.Next(16);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = DecoderVersusBench.Run(
            ["--model", model, "--threads", "1,2", "--rounds", "1", "--steps", "2", "--depth", $"{depth}", "--prompts", $"8,{depth}"],
            stdout, stderr);

        string text = stdout.ToString();
        output.WriteLine($"seed {seed}, depth {depth}");
        output.WriteLine(text);
        output.WriteLine(stderr.ToString());
        Assert.Equal(0, exit);
        Assert.Contains("LLamaSharp 0.30", text);
        Assert.Contains("Correctness gate", text);
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (string row in new[] { "decode at depth 0", $"decode at depth {depth}", "prompt 8", $"prompt {depth} (the fill, once)" })
            {
                // Threads, row, then GqaGen (loaded), GqaGen (mapped) and LLamaSharp medians (positive numbers), then the two ratios
                // (thousands separated: a tiny model's figures on a busy machine can be anything).
                Match match = Regex.Match(text, $@"^\| {threads} \| {Regex.Escape(row)} \| ([0-9.,]+) \| ([0-9.,]+) \| ([0-9.,]+) \|(?: [^|]+ \|)* ([0-9.,]+)× \| ([0-9.,]+)× \|", RegexOptions.Multiline);
                Assert.True(match.Success, $"no complete table row for {threads} threads, '{row}'");
                // Medians of tokens/s are positive; a ratio printed to two decimals can round to 0.00 on a busy machine.
                for (int group = 1; group <= 5; group++)
                    Assert.True(double.Parse(match.Groups[group].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) is var value && (group <= 3 ? value > 0 : value >= 0));
            }
            foreach (string program in new[] { "GqaGen (loaded)", "GqaGen (mapped)" })
                Assert.Matches($@"(?m)^\| {threads} \| {Regex.Escape(program)} \| [0-9.,]+ \| [0-9.,]+ \| [0-9.,]+× \|$", text);
        }
        // Progress names each row and program on stderr.
        Assert.Contains($"decode at depth {depth}, round 1/1, LLamaSharp", stderr.ToString());
    }

    [Theory]
    [InlineData("--threads", "1,x")]
    [InlineData("--threads", "0")]
    [InlineData("--rounds", "0")]
    [InlineData("--steps", "-3")]
    [InlineData("--prompts", "")]
    [InlineData("--llama-bench", "/nonexistent/llama-bench")]
    [InlineData("--unknown", "1")]
    public void RejectsABadArgumentWithTheUsageAndExitCode2(string option, string value)
    {
        string model = Path.Combine(_directory, "not-read.gguf");
        File.WriteAllBytes(model, [1, 2, 3]);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = DecoderVersusBench.Run(["--model", model, option, value], stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:", stderr.ToString());
        Assert.Contains("--no-llamasharp", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void RejectsAMissingModelFile()
    {
        string missing = Path.Combine(_directory, $"missing-{Guid.NewGuid():N}.gguf");
        var stderr = new StringWriter();

        Assert.Equal(2, DecoderVersusBench.Run(["--model", missing], new StringWriter(), stderr));
        Assert.Contains(missing, stderr.ToString());
    }

    [Fact]
    public void RatiosAreTakenRoundByRound()
    {
        // Round by round: 10/5 = 2, 30/10 = 3, 20/20 = 1, so the median ratio is 2, although the medians' ratio is 20/10.
        string ratio = VersusResults.Ratio([10, 30, 20], [5, 10, 20]);
        Assert.Equal("2.00× (1.00–3.00)", ratio);
        Assert.Equal(2.5, VersusResults.Median([4, 1, 3, 2]));
    }

    private string WriteTinyModel(int seed)
    {
        var spec = new SyntheticLlamaSpec(
            EmbeddingLength: 64, Layers: 2, Heads: 4, KvGroups: 2, HeadDim: 16, FeedForwardLength: 128,
            WeightType: GgmlType.F16, TokenizerModel: SyntheticLlamaSpec.LlamaTokenizer, VocabularySize: 512, Seed: seed,
            ContextLength: 256);
        string path = Path.Combine(_directory, "tiny-f16.gguf");
        using var stream = File.Create(path);
        SyntheticLlama.Write(spec, stream);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
