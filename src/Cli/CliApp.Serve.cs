using System.CommandLine;
using GqaGen.AI;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Server;

namespace GqaGen.Cli;

// `gqagen serve`: an OpenAI-compatible HTTP server over one GGUF model, until Ctrl+C.
public sealed partial class CliApp
{
    /// <summary>Stops a running <c>serve</c> when cancelled (tests; a user stops it with Ctrl+C or SIGTERM).</summary>
    internal CancellationToken ServeShutdown { get; init; }

    private Command ServeCommand()
    {
        var model = new Option<string>("--model", "-m") { Description = "The GGUF model to serve (llama or a supported architecture).", Required = true };
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on. Default 127.0.0.1 (this machine only: the server has no authentication); 0.0.0.0 for every interface.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => GqaGenServerOptions.DefaultPort };
        var alias = new Option<string?>("--alias") { Description = "The model id clients send and see (default: the GGUF's general.name)." };
        var context = new Option<int>("--context", "-c")
        {
            Description = $"KV-cache positions of the conversation (0 = the model's trained context, at most {GqaGenChatClientOptions.DefaultContextCap:N0}).",
        };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Threads for the matrix products and attention (default: every core this process may use).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var kv = new Option<string>("--kv") { Description = "KV-cache storage: f32, f16, bf16 or q8_0.", DefaultValueFactory = _ => "f16" };
        var weights = new Option<string>("--weights")
        {
            Description = "How the weights reach the kernels: loaded (read into memory with huge pages requested; the default, measured faster) or mapped (the file memory-mapped: instant, no copy).",
            DefaultValueFactory = _ => new LlamaModelOptions().WeightMemory == GgufTensorMemory.Mapped ? "mapped" : "loaded",
        };
        weights.AcceptOnlyFromAmong("loaded", "mapped");
        var activations = new Option<string>("--activations")
        {
            Description = "Activations of a decode step's quantized products (Q4_0…Q5_1 and the K-quants Q2_K…Q6_K): f32 (the default, exact) or int8 (integer products as llama.cpp's: faster on such files, logits move by a few percent).",
            DefaultValueFactory = _ => "f32",
        };
        activations.AcceptOnlyFromAmong("f32", "int8");
        var templateFile = new Option<string?>("--chat-template-file") { Description = "A chat template file (Jinja text, detected as llama.cpp does) instead of the model's own." };
        var templateName = new Option<string?>("--chat-template") { Description = "A built-in chat template by name instead of the model's own (chatml, llama3, mistral-v7, …)." };
        var anyName = new Option<bool>("--any-model-name") { Description = "Answer requests whatever model name they send (as llama-server does), instead of 404 for another name." };
        var cmd = new Command("serve",
            "Serve a GGUF model over HTTP with OpenAI's API: /v1/chat/completions (streamed as server-sent events or whole), /v1/completions, /v1/models, /health, /apply-template. Requests queue for the model.")
        {
            model, host, port, alias, context, threads, kv, weights, activations, templateFile, templateName, anyName,
        };
        cmd.SetAction(p => Guard(() =>
        {
            string path = p.GetValue(model)!;
            if (!File.Exists(path))
                throw new CliException($"model file not found: '{path}'");
            if (p.GetValue(templateFile) is not null && p.GetValue(templateName) is not null)
                throw new CliException("give --chat-template-file or --chat-template, not both");
            string? template = p.GetValue(templateName);
            if (p.GetValue(templateFile) is string file)
                template = File.Exists(file) ? File.ReadAllText(file) : throw new CliException($"chat template file not found: '{file}'");
            int threadCount = p.GetValue(threads);
            if (threadCount < 1)
                throw new CliException($"--threads must be 1 or more; got {threadCount}");
            int positions = p.GetValue(context);
            if (positions < 0)
                throw new CliException($"--context must be ≥ 0 (0 = the model's); got {positions}");
            var modelOptions = new LlamaModelOptions
            {
                Threads = threadCount, KvElementType = ParseKvStorage(p.GetValue(kv)!),
                WeightMemory = p.GetValue(weights) == "mapped" ? GgufTensorMemory.Mapped : GgufTensorMemory.Loaded,
                Activations = p.GetValue(activations) == "int8" ? ActivationPrecision.Int8 : ActivationPrecision.Float32,
            };
            var serverOptions = new GqaGenServerOptions { Host = p.GetValue(host)!, Port = p.GetValue(port), AcceptAnyModelName = p.GetValue(anyName) };
            return Serve(path, modelOptions, new GqaGenChatClientOptions { ModelId = p.GetValue(alias), ChatTemplate = template, ContextLength = positions }, serverOptions);
        }));
        return cmd;
    }

    private int Serve(string path, LlamaModelOptions modelOptions, GqaGenChatClientOptions chatOptions, GqaGenServerOptions serverOptions)
    {
        GqaGenChatClient client;
        try
        {
            LlamaModel loaded = LlamaModel.Load(path, modelOptions, new LoadProgressWriter(_out, Path.GetFileName(path)));
            try
            {
                client = new GqaGenChatClient(loaded, chatOptions with { OwnsModel = true });
            }
            catch
            {
                loaded.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is GqaGen.Llama.Chat.ChatTemplateException or ArgumentException)
        {
            throw new CliException($"{e.Message.ReplaceLineEndings(" ")} (give one with --chat-template NAME or --chat-template-file FILE)");
        }
        using var served = new LlamaServedModel(client, ownsClient: true);
        LlamaModel model = client.Model;
        _out.WriteLine($"model     {path}: {model.Config.ArchitectureName} {model.WeightType}, {model.Config.Layers} layers, H {model.Config.Heads} / G {model.Config.KvGroups} / d {model.Config.HeadDim}");
        string huge = model.WeightHugePageBytes() is long hugeBytes ? $", {(double)hugeBytes / model.FileBytes:P0} in 2 MiB pages" : "";
        _out.WriteLine($"weights   {(model.WeightMemory == GgufTensorMemory.Mapped ? "memory-mapped from the file" : "loaded into memory")} ({model.FileBytes / 1e9:N2} GB{huge})");
        _out.WriteLine($"serving   '{served.Id}' with chat template '{client.Template.Name}', context {client.ContextLength:N0} positions, KV {model.Options.KvElementType}, {model.Options.Threads} thread(s), {(model.Options.Activations == ActivationPrecision.Int8 ? "int8 activations for quantized decode products, " : "")}{model.Attention.Description}");
        if (model.KernelWarning is string warning)
            _out.WriteLine($"note      {warning}");

        GqaGenServer server;
        try
        {
            server = GqaGenServer.StartAsync(served, serverOptions, ServeShutdown).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {serverOptions.Host}:{serverOptions.Port}: {e.Message.ReplaceLineEndings(" ")}");
        }
        using (ServeShutdown.Register(() => _ = server.StopAsync()))
        {
            _out.WriteLine($"listening {server.BaseAddress} (OpenAI API under {server.BaseAddress}v1/; Ctrl+C stops)");
            _out.Flush();
            server.WaitForShutdownAsync().GetAwaiter().GetResult();
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _out.WriteLine("stopped");
        return 0;
    }

    /// <summary>A KV storage type by llama.cpp's cache type name, as <c>KvElementType.ShortName()</c> writes it (f32, f16, bf16, q8_0).</summary>
    private static KvElementType ParseKvStorage(string text)
    {
        KvElementType[] types = Enum.GetValues<KvElementType>();
        foreach (KvElementType type in types)
        {
            if (type.ShortName() == text.ToLowerInvariant())
                return type;
        }
        throw new CliException($"--kv must be one of {string.Join(", ", types.Select(t => t.ShortName()))}; got '{text}'");
    }
}
