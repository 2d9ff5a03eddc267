using System.Diagnostics;
using System.Text.Json;

namespace GqaGen.Bench.Versus;

/// <summary>
/// llama.cpp's own benchmark binaries as subprocesses on the same file (f16 KV cache, its other defaults): <c>llama-bench</c>
/// for the depth-0 decode and prompt rows, one repetition per round (<c>-r 1</c>); for the depth rows,
/// <c>llama-bench -d</c> when the build has it, else <c>llama-batched-bench</c> beside it (one 4,096-token prefill and
/// the decode steps after it, once per thread count, as the in-process programs fill once). Each run is a fresh
/// process that maps the file again: the figures are llama.cpp's own timings of the work, not the process's.
/// </summary>
internal sealed class LlamaCppRunner(string benchPath, string? batchedBenchPath, bool hasDepthOption)
{
    /// <summary>The llama-bench binary.</summary>
    public string BenchPath { get; } = benchPath;

    /// <summary>llama-batched-bench beside it, or null.</summary>
    public string? BatchedBenchPath { get; } = batchedBenchPath;

    /// <summary>Whether this llama-bench has <c>-d</c> (depth; llama.cpp builds from about April 2025 on).</summary>
    public bool HasDepthOption { get; } = hasDepthOption;

    /// <summary>Whether the depth rows can be measured (<c>-d</c> or batched-bench).</summary>
    public bool CanDoDepth => HasDepthOption || BatchedBenchPath is not null;

    /// <summary>The build the last llama-bench run reported ("commit, build N"), or null before one ran or when it
    /// reported none.</summary>
    public string? Build { get; private set; }

    /// <summary>
    /// The runner for <paramref name="explicitPath"/>, or for the peers folder's llama-bench when it exists, or null
    /// (llama.cpp is an optional peer: without it the benchmark simply has no llama.cpp column).
    /// </summary>
    /// <exception cref="FileNotFoundException"><paramref name="explicitPath"/> is given but does not exist.</exception>
    public static LlamaCppRunner? Find(string? explicitPath, IEnumerable<string> defaultPaths)
    {
        string? path = explicitPath;
        if (path is not null && !File.Exists(path))
            throw new FileNotFoundException($"--llama-bench {path}: no such file. Give the path of a llama-bench binary, or leave the option out.", path);
        path ??= defaultPaths.FirstOrDefault(File.Exists);
        if (path is null)
            return null;
        string batched = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "llama-batched-bench");
        string help = RunProcess(path, ["--help"], allowFailure: true);
        return new LlamaCppRunner(path, File.Exists(batched) ? batched : null, help.Contains("--n-depth", StringComparison.Ordinal));
    }

    /// <summary>Decode tokens/s of <paramref name="steps"/> tokens from an empty context (<c>-p 0 -n steps</c>).</summary>
    public double Decode(string model, int threads, int steps)
        => Bench(model, threads, ["-p", "0", "-n", $"{steps}"]);

    /// <summary>Prompt tokens/s of one <paramref name="tokens"/>-token prefill (<c>-p tokens -n 0</c>).</summary>
    public double Prompt(string model, int threads, int tokens)
        => Bench(model, threads, ["-p", $"{tokens}", "-n", "0", "-b", $"{Math.Max(tokens, 2048)}"]);

    /// <summary>
    /// The prompt tokens/s of a <paramref name="depth"/>-token prefill and the decode tokens/s of <paramref name="steps"/>
    /// steps after it (prompt null when <c>-d</c> measured only the decode: llama-bench then fills without reporting it).
    /// </summary>
    public (double? Prompt, double Decode) Depth(string model, int threads, int depth, int steps)
    {
        if (BatchedBenchPath is { } batched)
        {
            string output = RunProcess(batched,
                ["-m", model, "-t", $"{threads}", "-tb", $"{threads}", "-c", $"{depth + steps + 16}", "-b", $"{depth}",
                 "-npp", $"{depth}", "-ntg", $"{steps}", "-npl", "1", "-ctk", "f16", "-ctv", "f16", "--output-format", "jsonl"],
                allowFailure: false);
            // One JSON object per line for each (pp, tg, pl) case; the single case is the last line that parses.
            string line = output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
            using JsonDocument json = JsonDocument.Parse(line);
            return (json.RootElement.GetProperty("speed_pp").GetDouble(), json.RootElement.GetProperty("speed_tg").GetDouble());
        }
        return (null, Bench(model, threads, ["-p", "0", "-n", $"{steps}", "-d", $"{depth}"]));
    }

    /// <summary>One repetition of llama-bench with f16 KV, JSON output; its average tokens/s.</summary>
    private double Bench(string model, int threads, string[] test)
    {
        string output = RunProcess(BenchPath, ["-m", model, "-t", $"{threads}", .. test, "-r", "1", "-ctk", "f16", "-ctv", "f16", "-o", "json"], allowFailure: false);
        int start = output.IndexOf('[');
        if (start < 0)
            throw new InvalidOperationException($"{BenchPath} printed no JSON array: {output[..Math.Min(output.Length, 400)]}");
        using JsonDocument json = JsonDocument.Parse(output[start..]);
        JsonElement result = json.RootElement[0];
        // A build made outside a git checkout reports "unknown" and build 0: then the path (which names the commit in the
        // peers folder) is all the header can say.
        if (result.TryGetProperty("build_commit", out JsonElement commit) && commit.GetString() is { } hash && hash != "unknown")
            Build = result.TryGetProperty("build_number", out JsonElement number) ? $"{hash}, build {number}" : hash;
        return result.GetProperty("avg_ts").GetDouble();
    }

    /// <summary>Runs a binary to the end and returns its standard output (its standard error is drained and dropped,
    /// except in the error of a failed run).</summary>
    private static string RunProcess(string file, string[] arguments, bool allowFailure)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !allowFailure)
        {
            string tail = error.Result.Length > 2000 ? error.Result[^2000..] : error.Result;
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{tail}");
        }
        return output + (allowFailure ? error.Result : "");
    }
}
