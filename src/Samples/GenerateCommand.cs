using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Synthetic;

namespace GqaGen.Samples;

/// <summary>
/// <c>generate</c>: prompt → prefill → decode with the Llama decoder on a GGUF model (or, with no <c>--model</c>,
/// the built-in tiny model whose weights come from a fixed seed), streaming text, then the run's numbers.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo?>("--model") { Description = "A GGUF model of architecture 'llama' (F32, F16, BF16 or Q8_0 weights). Without it, the built-in tiny model runs." };
        var prompt = new Option<string>("--prompt") { Description = "The text to continue.", DefaultValueFactory = _ => "Once upon a time" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely tokens; 0 = all.", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling probability mass; 1 = off.", DefaultValueFactory = _ => 1f };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampler.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products and attention.", DefaultValueFactory = _ => 1 };
        var kv = new Option<string>("--kv") { Description = "KV cache storage, as llama.cpp's -ctk/-ctv: f32, f16 (the default, as llama.cpp's), bf16 or q8_0.", DefaultValueFactory = _ => "f16" };
        kv.AcceptOnlyFromAmong(KvNames);
        var kernel = new Option<GqaKernelChoice>("--kernel") { Description = "Attention kernel: Auto (generated if a [GqaLayout] matches), Generated, Generic.", DefaultValueFactory = _ => GqaKernelChoice.Auto };
        var context = new Option<int>("--context") { Description = "KV cache positions; 0 = prompt + max tokens.", DefaultValueFactory = _ => 0 };

        var command = new Command("generate", "Generate text with the Llama decoder on the generated GQA kernels.")
        {
            model, prompt, maxTokens, temperature, topK, topP, seed, threads, kv, kernel, context,
        };
        command.SetAction(parse => Run(
            parse.GetValue(model), parse.GetValue(prompt)!, parse.GetValue(maxTokens), parse.GetValue(temperature), parse.GetValue(topK),
            parse.GetValue(topP), parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(kv)!, parse.GetValue(kernel), parse.GetValue(context)));
        return command;
    }

    private static int Run(FileInfo? modelFile, string prompt, int maxTokens, float temperature, int topK, float topP, int seed,
        int threads, string kv, GqaKernelChoice kernel, int context)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            var options = new LlamaModelOptions { Threads = threads, Kernel = kernel, KvElementType = ParseKv(kv) };
            var generation = new GenerationOptions
            {
                MaxTokens = maxTokens,
                ContextLength = context,
                Sampling = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, Seed = seed },
            };

            using GgufFile file = modelFile is null ? BuiltInModel() : GgufFile.Open(modelFile.FullName);
            using LlamaModel llama = LlamaModel.Load(file, options);
            Describe(llama, modelFile, threads);

            Console.Out.Flush();
            Console.Write(prompt);
            GenerationResult result = new TextGenerator(llama).Generate(prompt, generation, piece => Console.Write(piece));
            Console.WriteLine();
            Console.WriteLine();
            Report(result, llama);
            return 0;
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
        Console.WriteLine($"tokenizer: {llama.Tokenizer.Kind}, threads: {threads}, KV cache: {llama.Options.KvElementType.ShortName()}");
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
        Console.WriteLine($"memory:    peak working set {Bytes(Process.GetCurrentProcess().PeakWorkingSet64)}");
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1_000_000_000 => $"{bytes / 1e9:N2} GB",
        >= 1_000_000 => $"{bytes / 1e6:N2} MB",
        >= 1_000 => $"{bytes / 1e3:N1} kB",
        _ => $"{bytes} B",
    } + $" ({bytes:N0} bytes)";
}
