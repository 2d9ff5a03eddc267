using System.CommandLine;
using GqaGen.Bench.Alternated;
using GqaGen.Bench.Peers;

namespace GqaGen.Bench;

/// <summary>
/// <c>decode-alternated</c>: issue 12's decode comparisons measured side by side in one process: the read bandwidth,
/// GqaGen's generated and generic kernels on every storage type and thread count, and ONNX Runtime's GroupQueryAttention
/// and the TensorPrimitives kernel, every row gated against the reference, then run once per round in rotating order;
/// medians and per-round ratios against the issue's bars, as Markdown for docs/benchmarks.md.
/// </summary>
/// <remarks>
/// BenchmarkDotNet times each case in a process of its own, minutes apart; on a shared machine whose bandwidth drifts
/// by half between minutes, a ratio of two such cases (fp16 against fp32, 2 threads against 1, a row against the read)
/// carries that drift. Here both sides of every ratio ran in the same round, seconds apart. The other difference: rows
/// run in between evict each other's K/V, as a decoder's other layers do, where BenchmarkDotNet repeats one case and
/// leaves a cache that fits the L3 there.
/// </remarks>
internal static class DecodeAlternatedBench
{
    /// <summary>
    /// Parses the arguments after <c>decode-alternated</c> and runs: <c>--help</c> prints the usage and exits with 0; a
    /// bad option or value prints the error and the usage and exits with 2, before any work.
    /// </summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>As <see cref="Run(string[])"/>, writing the tables to <paramref name="output"/> and progress and errors
    /// to <paramref name="progress"/> (the smoke test captures both).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter progress)
    {
        var layouts = BenchCommandLine.Names("--layouts", $"Layouts, comma-separated: {string.Join(", ", Enum.GetNames<BenchLayout>())}. Default: all.",
            Enum.GetValues<BenchLayout>(), layout => layout.ToString(), Enum.GetValues<BenchLayout>());
        var contexts = BenchCommandLine.PositiveIntegers("--contexts", "Cached positions, comma-separated.", [4096, 32768]);
        var threads = BenchCommandLine.PositiveIntegers("--threads", $"Thread counts, comma-separated, at most the {Environment.ProcessorCount} processors.", [1, 2],
            maximum: Environment.ProcessorCount);
        KvElementType[] storageTypes = [KvElementType.Float32, KvElementType.Float16, KvElementType.BFloat16, KvElementType.Q8_0];
        var kv = BenchCommandLine.Names("--kv", "KV storage types of GqaGen's rows, comma-separated: f32, f16, bf16, q8_0. Default: all four.",
            storageTypes, type => type.ShortName(), storageTypes);
        var rounds = BenchCommandLine.PositiveInteger("--rounds", "Timed rounds; each runs every row once. Default: 15.", 15);
        var noPeers = new Option<bool>("--no-peers") { Description = "Leave ONNX Runtime and the TensorPrimitives kernel out." };
        var readBytes = new Option<long>("--read-bytes") { Description = "Bytes of the array whose plain read every row is compared with, 1 MiB to 16 GiB. Default: 1 GiB.", DefaultValueFactory = _ => 1L << 30 };
        readBytes.Validators.Add(result =>
        {
            long bytes = result.GetValueOrDefault<long>();
            if (bytes < 1L << 20 || bytes > 16L << 30)
                result.AddError($"--read-bytes must be from 1 MiB ({1 << 20} bytes) to 16 GiB ({16L << 30} bytes); got {bytes}.");
        });
        var command = new Command("decode-alternated",
            "Issue 12's decode comparisons side by side in one process: the read, GqaGen's kernels on every storage type and thread count, "
            + "ONNX Runtime and TensorPrimitives; rows gated, then alternated in rounds; medians and per-round ratios as Markdown.")
        {
            layouts, contexts, threads, kv, rounds, noPeers, readBytes,
        };
        if (BenchCommandLine.Parse(command, args, output, progress, out ParseResult parse) is int exit)
            return exit;
        // One layer's keys must fit a cache's 2 GiB region (KvCache), for every layout and storage type asked for.
        foreach (int context in parse.GetValue(contexts)!)
        {
            foreach (BenchLayout layout in parse.GetValue(layouts)!)
            {
                GqaShape shape = BenchLayouts.Shape(layout);
                long keyBytes = parse.GetValue(kv)!.Max(type => DecodeInputs.KvBytesFor(shape, context, type) / 2);
                if (keyBytes > int.MaxValue)
                    return BenchCommandLine.Refuse(command, $"--contexts {context}: one layer of {layout}'s keys would take {keyBytes:N0} bytes; a cache holds at most {int.MaxValue:N0}.", progress);
            }
        }

        var settings = new AlternatedSettings(parse.GetValue(layouts)!, parse.GetValue(contexts)!, parse.GetValue(threads)!, parse.GetValue(kv)!,
            parse.GetValue(rounds), !parse.GetValue(noPeers), parse.GetValue(readBytes));
        new AlternatedRun(settings, output, progress).Run();
        return 0;
    }
}
