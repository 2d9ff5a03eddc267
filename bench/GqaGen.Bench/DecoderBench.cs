using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Synthetic;

namespace GqaGen.Bench;

/// <summary>
/// <c>decoder</c>: tokens/s of prefill and decode for the built-in model and a TinyLlama-shaped model (random F16
/// weights, written once to a file), at 1 and 2 threads, generated vs generic attention kernel, and the share of a
/// decode step spent in attention at 512 and 4,096 positions. A plain stopwatch harness: one decode step of the
/// large model takes ~0.1 s, so each figure is the median of a few repeats of many-step runs rather than a
/// BenchmarkDotNet statistic. Prints Markdown tables for docs/benchmarks.md.
/// </summary>
internal static class DecoderBench
{
    private static readonly int[] ThreadCounts = [1, 2];
    private static readonly GqaKernelChoice[] Kernels = [GqaKernelChoice.Generated, GqaKernelChoice.Generic];

    /// <summary>
    /// Parses the arguments after <c>decoder</c> and runs the benchmark: <c>--help</c> (or <c>-h</c>) prints the usage
    /// and exits with 0; an unknown option or argument prints the error and the usage and exits with 2, before any work.
    /// </summary>
    public static int Run(string[] args)
    {
        var modelDirectory = new Option<DirectoryInfo?>("--model-dir")
        {
            Description = "Where the TinyLlama-shaped F16 model (~2.2 GB) is written once and reused. Default: <temp>/gqagen-bench.",
        };
        var quick = new Option<bool>("--quick") { Description = "Skip the attention-share table." };
        var shareOnly = new Option<bool>("--share-only") { Description = "Only the attention-share tables (skip the throughput tables)." };
        var storageOnly = new Option<bool>("--storage-only") { Description = "Only the KV storage table (f32, f16, bf16, q8_0 at 4,096 positions, 1 and 2 threads)." };
        var model = new Option<FileInfo?>("--model")
        {
            Description = "Only the throughput table of this GGUF file (any weight type, e.g. a Q4_K_M file), to put beside llama-bench on the same file.",
        };
        var weights = new Option<GgufTensorMemory>("--weights")
        {
            Description = "With --model: how the weights reach the kernels, Mapped or Loaded (read into memory with huge pages requested).",
            DefaultValueFactory = _ => new LlamaModelOptions().WeightMemory,
        };
        weights.AcceptOnlyFromAmong(nameof(GgufTensorMemory.Mapped), nameof(GgufTensorMemory.Loaded));
        var command = new Command("decoder",
            "Tokens/s of prefill and decode for the built-in model and a TinyLlama-shaped model (random F16 weights, "
            + "written once to a file), at 1 and 2 threads, generated vs generic attention kernel, and the attention share of a decode step.")
        {
            modelDirectory, quick, shareOnly, storageOnly, model, weights,
        };

        var root = new RootCommand("GqaGen benchmarks") { command };

        ParseResult parse = root.Parse(["decoder", .. args]);
        if (parse.Errors.Count > 0)
        {
            foreach (ParseError error in parse.Errors)
                Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine();
            root.Parse(["decoder", "--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
            return 2;
        }
        if (parse.Action is HelpAction)
            return parse.Invoke();

        if (parse.GetValue(model) is FileInfo file)
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            if (!file.Exists)
            {
                Console.Error.WriteLine($"error: model file not found: {file.FullName}");
                return 1;
            }
            using GgufFile gguf = GgufFile.Open(file.FullName, new GgufOpenOptions { TensorMemory = parse.GetValue(weights) });
            using (var probe = LlamaModel.Load(gguf))
                Throughput($"{file.Name} ({probe.WeightType} and others, weights {gguf.TensorMemory} ({Huge(gguf)}), {probe.Config.Layers} layers, H={probe.Config.Heads}, G={probe.Config.KvGroups}, d={probe.Config.HeadDim})",
                    gguf, promptTokens: 64, decodeSteps: 32, repeats: 3);
            return 0;
        }

        string directory = parse.GetValue(modelDirectory)?.FullName ?? Path.Combine(Path.GetTempPath(), "gqagen-bench");
        return Run(directory, parse.GetValue(quick), parse.GetValue(shareOnly) || parse.GetValue(storageOnly), parse.GetValue(storageOnly));
    }

    private static int Run(string directory, bool quick, bool shareOnly, bool storageOnly)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(directory);

        Console.WriteLine($"# Decoder benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"{RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, "
            + $"cpu: {CpuName()}");
        Console.WriteLine();

        if (!shareOnly)
        using (GgufFile builtIn = GgufFile.Parse(SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn)))
            Throughput("built-in tiny model (F32, 4 layers, H=8, G=2, d=32)", builtIn, promptTokens: 128, decodeSteps: 128, repeats: 5);

        string path = Path.Combine(directory, "tinyllama-shaped-f16.gguf");
        var spec = SyntheticLlamaSpec.TinyLlamaShaped(GgmlType.F16);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"writing {path} (TinyLlama-shaped, random F16 weights, ~2.2 GB)...");
            string partial = path + ".partial";
            int shown = -1;
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                SyntheticLlama.Write(spec, stream, new Progress<double>(p =>
                {
                    if ((int)(p * 100) != shown)
                        Console.Error.Write($"\r  {shown = (int)(p * 100)} %");
                }));
            File.Move(partial, path, overwrite: true);
            Console.Error.WriteLine();
        }

        using GgufFile tiny = GgufFile.Open(path);
        if (!shareOnly)
            Throughput("TinyLlama-shaped model (F16, 22 layers, H=32, G=4, d=64, 1.1B parameters)", tiny, promptTokens: 64, decodeSteps: 16, repeats: 3);
        if (!quick)
            AttentionShare(tiny, [512, 4096], steps: 8, storageOnly);
        return 0;
    }

    /// <summary>Prefill of a prompt of random tokens, then greedy decode steps from there.</summary>
    private static void Throughput(string title, GgufFile file, int promptTokens, int decodeSteps, int repeats)
    {
        Console.WriteLine($"## {title}");
        Console.WriteLine($"Prompt of {promptTokens} tokens, then {decodeSteps} decode steps; median of {repeats} runs.");
        Console.WriteLine();
        Console.WriteLine("| Threads | Kernel | Prefill tokens/s | Decode tokens/s | Weights streamed in decode |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (int threads in ThreadCounts)
        {
            foreach (GqaKernelChoice kernel in Kernels)
            {
                using var model = LlamaModel.Load(file, new LlamaModelOptions { Threads = threads, Kernel = kernel });
                int[] prompt = RandomTokens(model.Config.VocabularySize, promptTokens, seed: 7);
                var prefill = new List<double>();
                var decode = new List<double>();
                // Warm-up runs until half a second has passed (at least one): tiered JIT and page faults of the
                // mapped weights settle before anything is measured.
                long warmUpStart = Stopwatch.GetTimestamp();
                for (int r = 0; r < repeats + 1; r++)
                {
                    bool warmingUp = r == 0;
                    using LlamaSession session = model.CreateSession(promptTokens + decodeSteps + 1);
                    long start = Stopwatch.GetTimestamp();
                    int token = TokenSampler.ArgMax(session.Prefill(prompt));
                    double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < decodeSteps; i++)
                        token = TokenSampler.ArgMax(session.Decode(token));
                    double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    if (warmingUp)
                    {
                        if (Stopwatch.GetElapsedTime(warmUpStart).TotalSeconds < 0.5)
                            r = -1;
                        continue;
                    }
                    prefill.Add(promptTokens / prefillSeconds);
                    decode.Add(decodeSteps / decodeSeconds);
                }
                double decodeRate = Median(decode);
                Console.WriteLine($"| {threads} | {Name(model)} | {Median(prefill):N1} | {decodeRate:N1} | {model.WeightBytesPerToken * decodeRate / 1e9:N1} GB/s |");
            }
        }
        Console.WriteLine();
    }

    /// <summary>Fills one cache with a long random prompt (2 threads, generated kernel), then for each setting resumes
    /// it at each context length and times decode steps, with the attention kernel's share of each step.</summary>
    private static void AttentionShare(GgufFile file, int[] contexts, int steps, bool storageOnly)
    {
        int longest = contexts.Max();
        Console.WriteLine($"## Share of a decode step spent in attention (TinyLlama-shaped, F16)");
        using var filler = LlamaModel.Load(file, new LlamaModelOptions { Threads = ThreadCounts.Max(), Kernel = GqaKernelChoice.Generated, KvElementType = KvElementType.Float32 });
        using LlamaSession fill = filler.CreateSession(longest + steps);
        long start = Stopwatch.GetTimestamp();
        fill.Prefill(RandomTokens(filler.Config.VocabularySize, longest, seed: 11));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine($"The cache is filled by one prefill of {longest} random tokens ({longest / seconds:N1} tokens/s, {ThreadCounts.Max()} threads); "
            + $"each row then resumes it at the given position and runs {steps} greedy decode steps.");
        Console.WriteLine();
        if (!storageOnly)
            ShareByKernel(file, fill.Cache, contexts, steps);
        ShareByStorage(file, fill.Cache, longest, steps);
    }

    /// <summary>Generated vs generic kernel over the filled fp32 cache, at each context and thread count.</summary>
    private static void ShareByKernel(GgufFile file, KvCache filled, int[] contexts, int steps)
    {
        Console.WriteLine("fp32 cache:");
        Console.WriteLine();
        Console.WriteLine("| Context | Threads | Kernel | Decode tokens/s | Attention ms/token | Attention share |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (int context in contexts)
        {
            foreach (int threads in ThreadCounts)
            {
                foreach (GqaKernelChoice kernel in Kernels)
                {
                    using var model = LlamaModel.Load(file, new LlamaModelOptions { Threads = threads, Kernel = kernel, KvElementType = KvElementType.Float32 });
                    (double best, double attentionMs, double share) = TimeSteps(model, filled, context, steps);
                    Console.WriteLine($"| {context:N0} | {threads} | {Name(model)} | {best:N2} | {attentionMs:N2} | {share:P1} |");
                }
            }
        }
        Console.WriteLine();
    }

    /// <summary>The generated kernel over the same prompt's cache converted to each storage type, at <paramref name="context"/> positions.</summary>
    private static void ShareByStorage(GgufFile file, KvCache filled, int context, int steps)
    {
        Console.WriteLine($"KV storage types at {context:N0} positions, generated kernel (the fp32 cache above, converted row by row as AppendKv would have stored it):");
        Console.WriteLine();
        Console.WriteLine("| KV | Threads | KV cache | Decode tokens/s | Attention ms/token | Attention share |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
        {
            using KvCache cache = type == KvElementType.Float32 ? null! : Convert(filled, type, context);
            KvCache used = type == KvElementType.Float32 ? filled : cache;
            foreach (int threads in ThreadCounts)
            {
                using var model = LlamaModel.Load(file, new LlamaModelOptions { Threads = threads, Kernel = GqaKernelChoice.Generated, KvElementType = type });
                (double best, double attentionMs, double share) = TimeSteps(model, used, context, steps);
                Console.WriteLine($"| {type.ShortName()} | {threads} | {used.SizeInBytes / 1e6:N0} MB | {best:N2} | {attentionMs:N2} | {share:P1} |");
            }
        }
        Console.WriteLine();
    }

    /// <summary>Resumes <paramref name="cache"/> at <c>context − steps</c> and runs <paramref name="steps"/> greedy decode
    /// steps, three times; the best of the last two runs (the first warms up).</summary>
    private static (double TokensPerSecond, double AttentionMs, double Share) TimeSteps(LlamaModel model, KvCache cache, int context, int steps)
    {
        double best = 0, attentionMs = 0, share = 0;
        for (int r = 0; r < 3; r++)
        {
            using LlamaSession session = model.ResumeSession(cache, context - steps);
            int token = 1;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++)
                token = TokenSampler.ArgMax(session.Decode(token));
            double total = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0 && steps / total > best)
            {
                best = steps / total;
                attentionMs = session.AttentionTime.TotalMilliseconds / steps;
                share = session.AttentionTime.TotalSeconds / total;
            }
        }
        return (best, attentionMs, share);
    }

    /// <summary>A copy of the first <paramref name="positions"/> positions of <paramref name="source"/> stored as <paramref name="type"/>.</summary>
    private static KvCache Convert(KvCache source, KvElementType type, int positions)
    {
        var target = new KvCache(source.Shape, source.Layers, source.Capacity, type);
        int d = source.Shape.HeadDim;
        var key = new float[source.Shape.KvLength];
        var value = new float[source.Shape.KvLength];
        for (int layer = 0; layer < source.Layers; layer++)
        {
            for (int p = 0; p < positions; p++)
            {
                for (int g = 0; g < source.Shape.KvGroups; g++)
                {
                    source.ReadKey(layer, g, p, key.AsSpan(g * d, d));
                    source.ReadValue(layer, g, p, value.AsSpan(g * d, d));
                }
                target.Write(layer, p, key, value);
            }
        }
        return target;
    }

    private static string Huge(GgufFile file) => file.HugePageBytes() is long huge ? $"{huge / (double)file.Length:P0} in 2 MiB pages" : "huge pages unknown";

    private static string Name(LlamaModel model) => model.Attention.IsGenerated ? $"generated ({model.Attention.ActivePath})" : $"generic ({model.Attention.ActivePath})";

    private static int[] RandomTokens(int vocabulary, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(3, vocabulary)).ToArray();
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
