using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Synthetic;

namespace GqaGen.Samples;

/// <summary>
/// <c>generate</c>: prompt → prefill → decode with the Llama decoder on a GGUF model (or, with no <c>--model</c>,
/// the built-in tiny model whose weights come from a fixed seed), streaming text, then the run's numbers. Ctrl+C stops
/// the generation (the text so far stays printed) and reports what was generated.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo?>("--model") { Description = "A GGUF model of architecture llama or qwen2 (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 or K-quant Q2_K…Q6_K weights, e.g. Q4_K_M files). Without it, the built-in tiny model runs." };
        var prompt = new Option<string>("--prompt") { Description = "The text to continue.", DefaultValueFactory = _ => "Once upon a time" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely tokens; 0 = all.", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling probability mass; 1 = off.", DefaultValueFactory = _ => 1f };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens less likely than this fraction of the most likely one; 0 = off.", DefaultValueFactory = _ => 0f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Repetition penalty over the last --repeat-last-n tokens, as llama.cpp's; 1 = off.", DefaultValueFactory = _ => 1f };
        var repeatLastN = new Option<int>("--repeat-last-n") { Description = "Tokens the repetition penalty looks back over; 0 = off.", DefaultValueFactory = _ => 64 };
        var stop = new Option<string[]>("--stop") { Description = "Stop when the text contains this string (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampler.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products and attention (default: every core this process may use).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var kv = new Option<string>("--kv") { Description = "KV cache storage, as llama.cpp's -ctk/-ctv: f32, f16 (the default, as llama.cpp's), bf16 or q8_0.", DefaultValueFactory = _ => "f16" };
        kv.AcceptOnlyFromAmong(KvNames);
        var kernel = new Option<GqaKernelChoice>("--kernel") { Description = "Attention kernel: Auto (generated if a [GqaLayout] matches), Generated, Generic.", DefaultValueFactory = _ => GqaKernelChoice.Auto };
        var context = new Option<int>("--context") { Description = "KV cache positions; 0 = prompt + max tokens, at most the model's trained context.", DefaultValueFactory = _ => 0 };
        var weights = new Option<string>("--weights")
        {
            Description = "How the weights reach the kernels: loaded (read into memory with huge pages requested; the default, measured faster) or mapped (the file memory-mapped: instant, no copy).",
            DefaultValueFactory = _ => WeightMemoryName(new LlamaModelOptions().WeightMemory),
        };
        weights.AcceptOnlyFromAmong("loaded", "mapped");
        var activations = new Option<string>("--activations")
        {
            Description = "Activations of a decode step's quantized products (Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants Q2_K…Q6_K): f32 (the default: exact products with the dequantized weights) or int8 (rounded to 8 bits and multiplied in integers, as llama.cpp does: faster on such files).",
            DefaultValueFactory = _ => "f32",
        };
        activations.AcceptOnlyFromAmong("f32", "int8");
        var truncate = new Option<bool>("--truncate-prompt") { Description = "Keep the last tokens of a prompt longer than the context (said on stderr) instead of refusing it." };

        var command = new Command("generate", "Generate text with the Llama decoder on the generated GQA kernels.")
        {
            model, prompt, maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, stop, seed, threads, kv, kernel, context, truncate, weights, activations,
        };
        command.SetAction(parse => Run(
            parse.GetValue(model), parse.GetValue(prompt)!,
            new GenerationSettings(parse.GetValue(maxTokens), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(minP),
                parse.GetValue(repeatPenalty), parse.GetValue(repeatLastN), parse.GetValue(stop) ?? [], parse.GetValue(seed), parse.GetValue(context), parse.GetValue(truncate)),
            parse.GetValue(threads), parse.GetValue(kv)!, parse.GetValue(kernel), parse.GetValue(weights)!, parse.GetValue(activations)!));
        return command;
    }

    /// <summary>The generation options as given on the command line.</summary>
    private sealed record GenerationSettings(int MaxTokens, float Temperature, int TopK, float TopP, float MinP,
        float RepeatPenalty, int RepeatLastN, string[] Stop, int Seed, int Context, bool TruncatePrompt);

    private static int Run(FileInfo? modelFile, string prompt, GenerationSettings settings, int threads, string kv, GqaKernelChoice kernel, string weights, string activations)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            var options = new LlamaModelOptions
            {
                Threads = threads, Kernel = kernel, KvElementType = ParseKv(kv),
                WeightMemory = weights == "mapped" ? GgufTensorMemory.Mapped : GgufTensorMemory.Loaded,
                Activations = activations == "int8" ? ActivationPrecision.Int8 : ActivationPrecision.Float32,
            };
            var generation = new GenerationOptions
            {
                MaxTokens = settings.MaxTokens,
                ContextLength = settings.Context,
                TruncatePromptFromLeft = settings.TruncatePrompt,
                PromptProgress = new ProgressLine("prompt"),
                StopSequences = settings.Stop,
                Sampling = new SamplingOptions
                {
                    Temperature = settings.Temperature, TopK = settings.TopK, TopP = settings.TopP, MinP = settings.MinP,
                    RepetitionPenalty = settings.RepeatPenalty, RepetitionPenaltyLastN = settings.RepeatLastN, Seed = settings.Seed,
                },
            };

            using GgufFile file = modelFile is null
                ? BuiltInModel()
                : GgufFile.Open(modelFile.FullName, new GgufOpenOptions { TensorMemory = options.WeightMemory, Progress = new ProgressLine($"loading {modelFile.Name}") });
            using LlamaModel llama = LlamaModel.Load(file, options);
            Describe(llama, modelFile, threads);
            if (settings.Context > llama.Config.ContextLength)
                Console.Error.WriteLine($"warning: --context {settings.Context:N0} is above the {llama.Config.ContextLength:N0} positions the model was trained on; past them its output may degrade.");

            int promptTokens = llama.Tokenizer.Encode(prompt, addBos: true).Count;
            int fits = settings.Context > 0 ? settings.Context : llama.Config.ContextLength;
            if (promptTokens > fits && !settings.TruncatePrompt)
            {
                Console.Error.WriteLine($"error: the prompt is {promptTokens:N0} tokens and the context holds {fits:N0}"
                    + (settings.Context > 0 ? " (--context)" : " (the model's trained context length)")
                    + "; shorten it, raise --context (above the trained length it warns), or pass --truncate-prompt to keep its last tokens.");
                return 1;
            }
            return Generate(llama, prompt, generation).GetAwaiter().GetResult();
        }
        // FormatException covers GgufFormatException and GgufTokenizerException; OutOfMemoryException a --context
        // whose cache does not fit.
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or IOException
            or UnauthorizedAccessException or ArgumentException or InvalidOperationException or OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Streams the generation to the console; Ctrl+C cancels it (only while it runs: before, Ctrl+C ends the
    /// program as usual) and reports the tokens generated so far. Exit code 130 (128 + SIGINT) then, as llama.cpp's
    /// llama-cli.</summary>
    private static async Task<int> Generate(LlamaModel llama, string prompt, GenerationOptions generation)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // keep the process: the generation stops at its next forward pass
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        long started = Stopwatch.GetTimestamp();
        int tokens = 0;
        try
        {
            GenerationResult? result = null;
            // Created before anything is printed: a prompt that does not fit is refused here, before any work.
            IAsyncEnumerable<GenerationUpdate> stream = new TextGenerator(llama).GenerateStreamingAsync(prompt, generation, cancel.Token);
            // The prompt is echoed once it has run, so that its progress line (stderr, while it runs) never lands in
            // the middle of the text.
            bool echoed = false;
            await foreach (GenerationUpdate update in stream)
            {
                if (!echoed)
                {
                    Console.Write(prompt);
                    echoed = true;
                }
                Console.Write(update.Text);
                tokens += update.Tokens.Count;
                result = update.Result ?? result;
            }
            Console.WriteLine();
            Console.WriteLine();
            if (result!.PromptTokensDropped > 0)
                Console.Error.WriteLine($"note: the prompt did not fit the context of {generation.ContextLength switch { 0 => llama.Config.ContextLength, int c => c }:N0} positions; its first {result.PromptTokensDropped:N0} tokens were dropped and the last {result.PromptTokens.Count:N0} kept (--truncate-prompt).");
            Report(result, llama);
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.WriteLine();
            Console.WriteLine();
            Console.WriteLine($"generated: {tokens} tokens streamed (Cancelled by Ctrl+C) in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:N1} ms");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The --kv names, llama.cpp's cache type names: f32, f16, bf16, q8_0.</summary>
    private static readonly string[] KvNames = Enum.GetValues<KvElementType>().Select(t => t.ShortName()).ToArray();

    private static KvElementType ParseKv(string name) => Enum.GetValues<KvElementType>().First(t => t.ShortName() == name);

    private static GgufFile BuiltInModel()
    {
        var spec = SyntheticLlamaSpec.BuiltIn;
        Console.WriteLine($"No --model given: running the built-in tiny model, whose weights are random numbers from seed {spec.Seed} "
            + "(so its text is gibberish; it shows the whole path working). Pass --model path.gguf for a real model.");
        return GgufFile.Parse(SyntheticLlama.Create(spec));
    }

    private static void Describe(LlamaModel llama, FileInfo? file, int threads)
    {
        var c = llama.Config;
        Console.WriteLine($"model:     {llama.Name ?? file?.Name ?? "built-in"}: {c.Layers} layers, embedding {c.EmbeddingLength}, vocabulary {c.VocabularySize}, "
            + $"{llama.WeightType} weights ({llama.WeightBytesPerToken / 1e6:N1} MB read per token)");
        Console.WriteLine($"attention: H={c.Heads}, G={c.KvGroups}, d={c.HeadDim} ({c.HeadsPerGroup} query heads per K/V head), RoPE base {c.RopeFreqBase:G}");
        Console.WriteLine($"kernel:    {llama.Attention.Description}");
        Console.WriteLine($"tokenizer: {llama.Tokenizer.Kind}, threads: {threads}, KV cache: {llama.Options.KvElementType.ShortName()}, "
            + (llama.Options.Activations == ActivationPrecision.Int8
                ? "activations: int8 for quantized decode products"
                : "activations: f32"));
        Console.WriteLine($"weights:   {DescribeWeightMemory(llama)}");
        if (llama.KernelWarning is { } warning)
            Console.Error.WriteLine(warning);
        Console.WriteLine();
    }

    private static void Report(GenerationResult r, LlamaModel llama)
    {
        double decodeSeconds = r.DecodeTime.TotalSeconds, total = r.PrefillTime.TotalSeconds + decodeSeconds;
        Console.WriteLine($"prompt:    {r.PromptTokens.Count} tokens in {r.PrefillTime.TotalMilliseconds:N1} ms = {r.PrefillTokensPerSecond:N1} tokens/s");
        Console.WriteLine($"generated: {r.GeneratedTokens.Count} tokens ({r.StopReason}); {r.DecodeSteps} decode steps in {r.DecodeTime.TotalMilliseconds:N1} ms = {r.DecodeTokensPerSecond:N1} tokens/s");
        Console.WriteLine($"attention: {r.AttentionTime.TotalMilliseconds:N1} ms of {total * 1000:N1} ms ({100 * r.AttentionTime.TotalSeconds / Math.Max(total, 1e-9):N1}%), {r.Kernel}");
        Console.WriteLine($"KV cache:  {Bytes(r.KvCacheBytes)} {llama.Options.KvElementType.ShortName()} for {llama.Config.Layers} layers × {llama.Config.KvGroups} K/V heads; "
            + $"MHA (G = H = {llama.Config.Heads}) would need {Bytes(r.MhaKvCacheBytes)} ({(double)r.MhaKvCacheBytes / r.KvCacheBytes:N2}×)");
        long inMemory = llama.WeightMemory == GgufTensorMemory.Mapped ? 0 : llama.FileBytes;
        Console.WriteLine($"memory:    peak working set {Bytes(Process.GetCurrentProcess().PeakWorkingSet64)}: the model {(inMemory > 0 ? "read into memory" : "file's pages mapped so far (shared with the page cache)")}, "
            + $"{(inMemory > 0 ? Bytes(inMemory) + ", " : "")}the KV cache and activations");
    }

    private static string WeightMemoryName(GgufTensorMemory memory) => memory == GgufTensorMemory.Mapped ? "mapped" : "loaded";

    /// <summary>Which weight memory ran (--weights) and how much of it the OS backs with 2 MiB pages.</summary>
    private static string DescribeWeightMemory(LlamaModel llama)
    {
        string huge = llama.WeightHugePageBytes() is long bytes ? $", {(double)bytes / llama.FileBytes:P0} of it in 2 MiB pages" : "";
        return llama.WeightMemory switch
        {
            GgufTensorMemory.Loaded => $"loaded into memory ({llama.FileBytes / 1e9:N2} GB{huge}); --weights mapped maps the file instead",
            GgufTensorMemory.Mapped => $"memory-mapped from the file ({llama.FileBytes / 1e9:N2} GB{huge}); --weights loaded reads them into memory",
            _ => $"built in, held in managed memory ({llama.FileBytes / 1e6:N2} MB)",
        };
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1_000_000_000 => $"{bytes / 1e9:N2} GB",
        >= 1_000_000 => $"{bytes / 1e6:N2} MB",
        >= 1_000 => $"{bytes / 1e3:N1} kB",
        _ => $"{bytes} B",
    } + $" ({bytes:N0} bytes)";
}
