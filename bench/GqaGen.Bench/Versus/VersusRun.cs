using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using GqaGen.Gguf;
using GqaGen.Llama;
using LLama;
using LLama.Common;
using LLama.Native;

namespace GqaGen.Bench.Versus;

/// <summary>
/// One <c>decoder-versus</c> run: for each thread count, loads the programs, checks that GqaGen and LLamaSharp agree on
/// a greedy token, then measures each row in rounds, the programs alternated within a round (a b c d a b c d …), and
/// prints the tables. Progress (which row, round and program) goes to the progress writer: a full run takes many minutes.
/// </summary>
internal sealed class VersusRun(VersusSettings settings, TextWriter output, TextWriter progress)
{
    private const string LoadedName = "GqaGen (loaded)";
    private const string MappedName = "GqaGen (mapped)";
    private const string LlamaSharpName = "LLamaSharp";
    private const string LlamaCppName = "llama.cpp";
    private const string GenerateSuffix = " via generate";

    /// <summary>Random prompt tokens start above the ids llama.cpp and GqaGen treat specially (unknown, BOS, EOS).</summary>
    private const int FirstOrdinaryToken = 3;

    private static readonly string[] Programs = [LoadedName, MappedName, LlamaSharpName, LlamaCppName];

    private readonly VersusResults _results = new();
    private readonly List<string> _notes = [];
    private string _decodeAtDepthRow = "";
    private string _fillRow = "";
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Runs every thread count and prints the header, the tables and the notes.</summary>
    public void Run()
    {
        if (settings.IncludeLlamaSharp)
            LlamaSharpNative.Configure();
        _decodeAtDepthRow = $"decode at depth {settings.Depth:N0}";
        _fillRow = $"prompt {settings.Depth:N0} (the fill, once)";
        int vocabulary;
        string weights;
        using (var probe = LlamaModel.Load(settings.ModelPath, new LlamaModelOptions { WeightMemory = GgufTensorMemory.Mapped }))
        {
            vocabulary = probe.Config.VocabularySize;
            weights = $"{probe.WeightType} weights, {probe.FileBytes / 1e9:N2} GB, {probe.Config.Layers} layers, H={probe.Config.Heads}, G={probe.Config.KvGroups}, d={probe.Config.HeadDim}";
        }

        bool gated = false;
        foreach (int threads in settings.Threads)
        {
            Progress($"threads {threads}: loading the programs");
            using var loaded = new GqaGenProgram(settings.ModelPath, GgufTensorMemory.Loaded, threads, settings.Steps, settings.Activations);
            using var mapped = new GqaGenProgram(settings.ModelPath, GgufTensorMemory.Mapped, threads, settings.Steps, settings.Activations);
            using LlamaSharpProgram? llamaSharp = settings.IncludeLlamaSharp
                ? new LlamaSharpProgram(settings.ModelPath, threads, Math.Max(settings.Depth, settings.Prompts.Max()), settings.Steps)
                : null;
            var inProcess = new List<IVersusProgram> { loaded, mapped };
            if (llamaSharp is not null)
                inProcess.Add(llamaSharp);
            if (!gated)
            {
                Gate(loaded, llamaSharp, vocabulary);
                Describe(loaded, llamaSharp);
                gated = true;
            }

            // Untimed: tiered JIT, page faults of the mapped weights and the first context's allocations settle here.
            foreach (IVersusProgram program in inProcess)
            {
                Progress($"threads {threads}: warm-up, {program.Name}");
                program.DecodeFromStart(FirstOrdinaryToken, Math.Min(settings.Steps, 4));
            }

            DecodeFromStart(threads, inProcess, vocabulary);
            foreach (int length in settings.Prompts.Where(p => p != settings.Depth))
                FreshPrompt(threads, inProcess, length, vocabulary);
            Fill(threads, inProcess, vocabulary);
            DecodeAtDepth(threads, loaded, mapped, llamaSharp, vocabulary);
        }
        Print(weights);
    }

    /// <summary>Greedy next token of the same short random prompt in GqaGen and LLamaSharp: reported, never fatal
    /// (a random-weights model can have near-ties that rounding decides).</summary>
    private void Gate(GqaGenProgram gqagen, LlamaSharpProgram? llamaSharp, int vocabulary)
    {
        if (llamaSharp is null)
        {
            _notes.Add("Correctness gate: skipped (LLamaSharp left out).");
            return;
        }
        Progress("correctness gate: greedy next token of a 16-token random prompt in GqaGen and LLamaSharp");
        int[] prompt = RandomTokens(vocabulary, 16, seed: 5);
        (int ours, float ourMargin) = gqagen.GreedyNext(prompt);
        (int theirs, float theirMargin) = llamaSharp.GreedyNext(prompt);
        _notes.Add(ours == theirs
            ? $"Correctness gate: GqaGen and LLamaSharp agree on the greedy next token of a 16-token random prompt (token {ours}; margin to the runner-up {ourMargin:G3} in GqaGen, {theirMargin:G3} in LLamaSharp)."
            : $"Correctness gate: **mismatch**: GqaGen's greedy next token of a 16-token random prompt is {ours} (margin {ourMargin:G3}), LLamaSharp's {theirs} (margin {theirMargin:G3}). "
              + "On a random-weights model a small margin can flip under llama.cpp's f16 rounding of activations; a large one means a real difference.");
    }

    /// <summary>What ran: the weight memory of each GqaGen program, LLamaSharp's load mode, flash attention and batch
    /// sizes (its defaults, as the brief keeps them), llama.cpp's binaries.</summary>
    private void Describe(GqaGenProgram loaded, LlamaSharpProgram? llamaSharp)
    {
        long? huge = loaded.Model.WeightHugePageBytes();
        _notes.Add($"GqaGen (loaded): weights read into memory{(huge is long h ? $", {h / (double)loaded.Model.FileBytes:P0} of the file in 2 MiB pages" : "")}; GqaGen (mapped): weights memory-mapped from the file. f16 KV cache.");
        if (llamaSharp is not null)
        {
            ModelParams defaults = LlamaSharpProgram.Defaults(settings.ModelPath);
            ModelParams used = llamaSharp.Parameters;
            bool maps = used.LoadMode.ToString().Contains("MemoryMap", StringComparison.Ordinal);
            LLamaContextParams native = LLamaContextParams.Default();
            string flash = used.FlashAttention is { } chosen ? $"{chosen}" : $"unset, so llama.cpp's default {native.llama_flash_attn_type}";
            string ubatch = used.UBatchSize is { } u ? $"{u}" : $"unset, so llama.cpp's default {native.n_ubatch}";
            _notes.Add($"LLamaSharp: its defaults except threads = batch threads = the thread count, n_batch = {used.BatchSize} (default {defaults.BatchSize}: the longest prompt "
                + $"is one llama_decode call) and the KV cache types {used.TypeK}/{used.TypeV} (llama.cpp's default, set explicitly); load mode {used.LoadMode} "
                + $"(its default: it {(maps ? "memory-maps the weights" : "reads the weights into memory, no mmap")}); flash attention {flash}"
                + $"{(LlamaSharpNative.FlashAttentionLog is { } log ? $" (llama.cpp's log: \"{log}\")" : "")}; n_ubatch {ubatch}.");
        }
        if (settings.LlamaCpp is { } cpp)
        {
            _notes.Add($"llama.cpp: {cpp.BenchPath} as a subprocess, one repetition (-r 1) per round, -ctk f16 -ctv f16, its other defaults (memory-mapped weights, flash attention off); "
                + (cpp.BatchedBenchPath is not null
                    ? $"the depth rows from one llama-batched-bench run per thread count ({cpp.BatchedBenchPath}: -npp {settings.Depth} -ntg {settings.Steps} -npl 1), one sample each."
                    : cpp.HasDepthOption ? $"the depth row from llama-bench -d {settings.Depth} once per thread count; its fill is not reported." : "no depth rows (neither -d nor llama-batched-bench)."));
        }
    }

    private void DecodeFromStart(int threads, List<IVersusProgram> programs, int vocabulary)
    {
        const string row = "decode at depth 0";
        int first = RandomTokens(vocabulary, 1, seed: 3)[0];
        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach (IVersusProgram program in programs)
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, {program.Name}");
                _results.Add(threads, row, program.Name, settings.Steps / program.DecodeFromStart(first, settings.Steps));
            }
            if (settings.LlamaCpp is { } cpp)
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, llama-bench");
                _results.Add(threads, row, LlamaCppName, cpp.Decode(settings.ModelPath, threads, settings.Steps));
            }
        }
    }

    private void FreshPrompt(int threads, List<IVersusProgram> programs, int length, int vocabulary)
    {
        string row = $"prompt {length:N0}";
        for (int round = 0; round < settings.Rounds; round++)
        {
            int[] prompt = RandomTokens(vocabulary, length, seed: 100 + round);
            foreach (IVersusProgram program in programs)
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, {program.Name}");
                _results.Add(threads, row, program.Name, length / program.Prompt(prompt));
            }
            if (settings.LlamaCpp is { } cpp)
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, llama-bench");
                _results.Add(threads, row, LlamaCppName, cpp.Prompt(settings.ModelPath, threads, length));
            }
        }
    }

    /// <summary>The one prefill of the depth per program (the long prompt row), and llama.cpp's depth run, whose
    /// decode figure is its only sample of the depth row.</summary>
    private void Fill(int threads, List<IVersusProgram> programs, int vocabulary)
    {
        int[] prompt = RandomTokens(vocabulary, settings.Depth, seed: 11);
        foreach (IVersusProgram program in programs)
        {
            Progress($"threads {threads}: filling {settings.Depth:N0} positions (one prefill), {program.Name}");
            double seconds = program.Fill(prompt);
            Progress($"  {settings.Depth / seconds:N1} tokens/s, {seconds:N0} s");
            _results.Add(threads, _fillRow, program.Name, settings.Depth / seconds);
        }
        if (settings.LlamaCpp is { CanDoDepth: true } cpp)
        {
            Progress($"threads {threads}: llama.cpp's prefill of {settings.Depth:N0} positions and {settings.Steps} decode steps after it");
            (double? prefill, double decode) = cpp.Depth(settings.ModelPath, threads, settings.Depth, settings.Steps);
            if (prefill is double p)
                _results.Add(threads, _fillRow, LlamaCppName, p);
            _results.Add(threads, _decodeAtDepthRow, LlamaCppName, decode);
        }
    }

    private void DecodeAtDepth(int threads, GqaGenProgram loaded, GqaGenProgram mapped, LlamaSharpProgram? llamaSharp, int vocabulary)
    {
        string row = _decodeAtDepthRow;
        int first = RandomTokens(vocabulary, 1, seed: 13)[0];
        // Untimed: the streaming path's first run JIT-compiles the generator and starts its step thread's code paths.
        foreach (GqaGenProgram program in new[] { loaded, mapped })
        {
            Progress($"threads {threads}: warm-up at depth {settings.Depth:N0}, {program.Name}");
            program.StreamAtDepth(first, Math.Min(settings.Steps, 2));
        }
        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach (GqaGenProgram program in new[] { loaded, mapped })
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, {program.Name}, session.Decode loop");
                _results.Add(threads, row, program.Name, settings.Steps / program.DecodeAtDepth(first, settings.Steps));
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, {program.Name}, TextGenerator.GenerateStreamingAsync");
                _results.Add(threads, row, program.Name + GenerateSuffix, settings.Steps / program.StreamAtDepth(first, settings.Steps));
            }
            if (llamaSharp is not null)
            {
                Progress($"threads {threads}: {row}, round {round + 1}/{settings.Rounds}, {llamaSharp.Name}");
                _results.Add(threads, row, llamaSharp.Name, settings.Steps / llamaSharp.DecodeAtDepth(first, settings.Steps));
            }
        }
    }

    private void Print(string weights)
    {
        string llamaSharpVersion = PackageVersion("LLamaSharp");
        output.WriteLine($"# Decoder versus LLamaSharp and llama.cpp, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        output.WriteLine();
        output.WriteLine($"CPU: {CpuName()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSArchitecture}; {RuntimeInformation.FrameworkDescription}; "
            + $"LLamaSharp {(settings.IncludeLlamaSharp ? llamaSharpVersion : "left out")}; "
            + $"llama-bench {(settings.LlamaCpp is { } cpp ? $"{cpp.BenchPath} (build {cpp.Build ?? "not reported"})" : "not found")}; "
            + $"file {Path.GetFileName(settings.ModelPath)} ({weights}); f16 KV cache everywhere; GqaGen's decode-step activations for quantized (Q4_0…Q5_1, Q2_K…Q6_K) products: "
            + (settings.Activations == ActivationPrecision.Int8 ? "int8 (--activations int8: integer products, as llama.cpp's)." : "f32 (exact; --activations int8 uses integer products)."));
        output.WriteLine();
        output.WriteLine($"Tokens/s, median of {settings.Rounds} round{(settings.Rounds == 1 ? "" : "s")}; in each round every program runs once, alternated. "
            + $"Decode rows: {settings.Steps} greedy steps (depth 0: after a 1-token prompt, in a fresh context). "
            + $"The depth rows: {settings.Depth:N0} random tokens are prefilled once per program and thread count (too slow to repeat: that prefill is the "
            + $"\"{_fillRow}\" row, one sample), then each round rewinds to {settings.Depth:N0} positions (GqaGen: session.Rewind; LLamaSharp: "
            + "llama_memory_seq_rm of the cells past it) and decodes. Other prompt rows: a fresh context each round. "
            + $"Ratios: per round, median (min–max); above 1 GqaGen is faster. The run took {Stopwatch.GetElapsedTime(_started).TotalMinutes:N1} minutes.");
        output.WriteLine();
        foreach (string note in _notes)
            output.WriteLine($"- {note}");
        output.WriteLine();

        var mainRows = new List<string> { "decode at depth 0", _decodeAtDepthRow };
        mainRows.AddRange(settings.Prompts.Where(p => p != settings.Depth).Select(p => $"prompt {p:N0}"));
        mainRows.Add(_fillRow);
        output.Write(_results.Table(mainRows, Programs, [(LoadedName, LlamaSharpName), (MappedName, LlamaSharpName)]));
        output.WriteLine();

        output.WriteLine($"`generate`'s path at depth {settings.Depth:N0}: the same {settings.Steps} steps on the same filled session through "
            + "TextGenerator.GenerateStreamingAsync (the prompt is the filled tokens plus one, so it reuses the whole prefix) beside the plain "
            + "session.Decode loop; a ratio well under 1 is issue 13 item 2's slow step after a long prompt coming back.");
        output.WriteLine();
        output.WriteLine("| Threads | Program | session.Decode tokens/s | generate (streaming) tokens/s | generate / Decode |");
        output.WriteLine("|---|---|---:|---:|---:|");
        foreach (int threads in settings.Threads)
        {
            foreach (string program in new[] { LoadedName, MappedName })
            {
                IReadOnlyList<double> plain = _results.Samples(threads, _decodeAtDepthRow, program);
                IReadOnlyList<double> streamed = _results.Samples(threads, _decodeAtDepthRow, program + GenerateSuffix);
                if (plain.Count == 0 || streamed.Count == 0)
                    continue;
                output.WriteLine($"| {threads} | {program} | {VersusResults.Median(plain):N2} | {VersusResults.Median(streamed):N2} | {VersusResults.Ratio(streamed, plain)} |");
            }
        }
        output.WriteLine();
    }

    private void Progress(string message) => progress.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    /// <summary>
    /// The NuGet version of a package this process runs, from the application's .deps.json ("LLamaSharp/0.30.0"): LLamaSharp's
    /// assembly carries no version (0.0.0.0) to read instead.
    /// </summary>
    private static string PackageVersion(string package)
    {
        try
        {
            foreach (string deps in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json"))
            {
                using JsonDocument json = JsonDocument.Parse(File.ReadAllText(deps));
                if (!json.RootElement.TryGetProperty("libraries", out JsonElement libraries))
                    continue;
                foreach (JsonProperty library in libraries.EnumerateObject())
                {
                    if (library.Name.StartsWith(package + "/", StringComparison.OrdinalIgnoreCase))
                        return library.Name[(package.Length + 1)..];
                }
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            // The version is a header detail: a missing or odd deps file must not fail a run that took minutes.
        }
        return "(version unknown)";
    }

    private static int[] RandomTokens(int vocabulary, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(FirstOrdinaryToken, vocabulary)).ToArray();
    }

    private static string CpuName()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
