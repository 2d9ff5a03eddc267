using System.CommandLine;
using GqaGen.Bench.Versus;
using GqaGen.Llama;

namespace GqaGen.Bench;

/// <summary>
/// <c>decoder-versus</c>: GqaGen's decoder beside LLamaSharp and llama.cpp's <c>llama-bench</c> on one GGUF file, f16
/// KV cache everywhere: decode tokens/s at depth 0 and at a filled depth, prompt tokens/s, for each thread count,
/// the programs alternated within each round; medians and per-round ratios in Markdown tables for docs/benchmarks.md.
/// The filled depth is prefilled once per program and thread count (that prefill is the long prompt row); each round
/// then rewinds to it. At the depth, GqaGen's steps are also run through <c>TextGenerator.GenerateStreamingAsync</c>,
/// <c>generate</c>'s path, beside the plain <c>Decode</c> loop (issue 13 item 2).
/// </summary>
internal static class DecoderVersusBench
{
    /// <summary>Where llama-bench is looked for when <c>--llama-bench</c> is not given (relative to the working
    /// directory: the repository root and a worktree beside ../shared).</summary>
    private static readonly string[] DefaultLlamaBench =
    [
        "/work/shared/peers/llama.cpp-c392e5094/bin/llama-bench",
        "../shared/peers/llama.cpp-c392e5094/bin/llama-bench",
    ];

    /// <summary>
    /// Parses the arguments after <c>decoder-versus</c> and runs the benchmark: <c>--help</c> prints the usage and exits
    /// with 0; a bad option or value prints the error and the usage and exits with 2, before any work.
    /// </summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>As <see cref="Run(string[])"/>, writing the tables to <paramref name="output"/> and progress and errors
    /// to <paramref name="progress"/> (the smoke test captures both).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter progress)
    {
        var model = new Option<FileInfo>("--model") { Description = "The GGUF file all programs run (e.g. a TinyLlama-shaped F16, Q8_0 or Q4_K_M file).", Required = true };
        var threads = BenchCommandLine.PositiveIntegers("--threads", "Thread counts, comma-separated.", [1, 2]);
        var rounds = BenchCommandLine.PositiveInteger("--rounds", "Rounds; each runs every program once per row, alternating.", 3);
        var steps = BenchCommandLine.PositiveInteger("--steps", "Greedy decode steps timed per program, row and round.", 32);
        var depth = BenchCommandLine.PositiveInteger("--depth", "Positions filled (once per program and thread count) before the depth rows.", 4096);
        var prompts = BenchCommandLine.PositiveIntegers("--prompts", "Prompt lengths, comma-separated; one equal to --depth is the fill's prefill, the others run in a fresh context each round.", [512, 4096]);
        var noLlamaSharp = new Option<bool>("--no-llamasharp") { Description = "Leave LLamaSharp out." };
        var activations = new Option<string>("--activations")
        {
            Description = "GqaGen's activations for a decode step's quantized (Q4_0…Q5_1, Q2_K…Q6_K) products: f32 (the default, exact) or int8 (integer products, as llama.cpp and LLamaSharp multiply them).",
            DefaultValueFactory = _ => "f32",
        };
        activations.AcceptOnlyFromAmong("f32", "int8");
        var llamaBench = new Option<FileInfo?>("--llama-bench") { Description = $"A llama-bench binary to run as a subprocess (default: {DefaultLlamaBench[0]} when it exists; llama-batched-bench beside it measures the depth rows)." };
        model.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<FileInfo>() is { Exists: false } file)
                result.AddError($"--model {file.FullName}: no such file. Give a GGUF file, e.g. /tmp/gqagen-bench/tinyllama-shaped-f16.gguf.");
        });
        llamaBench.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<FileInfo?>() is { Exists: false } file)
                result.AddError($"--llama-bench {file.FullName}: no such file. Give the path of a llama-bench binary, or leave the option out.");
        });
        var command = new Command("decoder-versus",
            "GqaGen's decoder beside LLamaSharp and llama.cpp's llama-bench on one GGUF file (f16 KV cache): decode tokens/s at depth 0 and "
            + "at --depth, prompt tokens/s, per thread count, programs alternated in rounds; medians and per-round ratios as Markdown.")
        {
            model, threads, rounds, steps, depth, prompts, noLlamaSharp, llamaBench, activations,
        };
        if (BenchCommandLine.Parse(command, args, output, progress, out ParseResult parse) is int exit)
            return exit;

        var settings = new VersusSettings(
            parse.GetValue(model)!.FullName, parse.GetValue(threads)!, parse.GetValue(rounds), parse.GetValue(steps), parse.GetValue(depth),
            parse.GetValue(prompts)!, !parse.GetValue(noLlamaSharp),
            LlamaCppRunner.Find(parse.GetValue(llamaBench)?.FullName, DefaultLlamaBench),
            parse.GetValue(activations) == "int8" ? ActivationPrecision.Int8 : ActivationPrecision.Float32);
        new VersusRun(settings, output, progress).Run();
        return 0;
    }
}
