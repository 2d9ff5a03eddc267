using System.CommandLine;
using System.Globalization;
using GqaGen.AI;
using GqaGen.Llama;
using GqaGen.Synthetic;
using Microsoft.Extensions.AI;

namespace GqaGen.Samples;

/// <summary>
/// <c>chat</c>: a conversation on the command line through the <see cref="IChatClient"/> of GqaGen.AI. Each line read
/// from stdin is a user turn; the reply streams as it is generated, then one line of numbers (prompt tokens run and
/// reused from the previous turn's cache, reply tokens, why it stopped). Ctrl+C stops the reply being generated; at
/// the prompt, it ends the chat, as does an empty line or the end of input. Without <c>--model</c>, the built-in tiny
/// model (random weights, a ChatML template) answers: the text is noise, the mechanics are real.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo?>("--model") { Description = "A GGUF chat model (its tokenizer.chat_template is used). Without it, the built-in tiny model runs." };
        var system = new Option<string?>("--system") { Description = "A system message opening the conversation." };
        var template = new Option<string?>("--chat-template") { Description = "A chat template by name (chatml, llama3, zephyr, …) or a template file, instead of the model's own." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per reply.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature (0 = greedy; default llama.cpp's 0.8)." };
        var seed = new Option<long?>("--seed") { Description = "Seed of the sampler (default: a new draw per reply)." };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products and attention.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var context = new Option<int>("--context") { Description = "KV-cache positions of the conversation; 0 = the model's, at most 8,192." };
        var command = new Command("chat", "Chat with a model through its chat template (IChatClient): one user turn per line of stdin.")
        {
            model, system, template, maxTokens, temperature, seed, threads, context,
        };
        command.SetAction((parse, token) => RunAsync(parse.GetValue(model), parse.GetValue(system), parse.GetValue(template), parse.GetValue(maxTokens),
            parse.GetValue(temperature), parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(context)));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo? modelFile, string? system, string? template, int maxTokens, float? temperature, long? seed, int threads, int context)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        GqaGenChatClient client;
        // The built-in model's in-memory file lives as long as the chat (the model reads its weights in place).
        using Gguf.GgufFile? builtIn = modelFile is null ? BuiltInChatModel() : null;
        try
        {
            if (template is not null && File.Exists(template))
                template = await File.ReadAllTextAsync(template);
            var clientOptions = new GqaGenChatClientOptions { ChatTemplate = template, ContextLength = context };
            var modelOptions = new LlamaModelOptions { Threads = threads };
            client = builtIn is not null
                ? new GqaGenChatClient(LlamaModel.Load(builtIn, modelOptions), clientOptions with { OwnsModel = true, ModelId = "built-in" })
                : GqaGenChatClient.Load(modelFile!.FullName, modelOptions, clientOptions);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NotSupportedException or IOException
            or UnauthorizedAccessException or ArgumentException or InvalidOperationException or GqaGen.Llama.Chat.ChatTemplateException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        using (client)
        {
            Console.Error.WriteLine($"chatting with '{client.ModelId}' (template {client.Template.Name}, context {client.ContextLength:N0}, {threads} thread(s)); an empty line ends");
            var messages = new List<ChatMessage>();
            if (!string.IsNullOrEmpty(system))
                messages.Add(new ChatMessage(ChatRole.System, system));
            var options = new ChatOptions { MaxOutputTokens = maxTokens, Temperature = temperature, Seed = seed };

            // Ctrl+C cancels the reply in progress; with none in progress it ends the chat as usual.
            CancellationTokenSource? reply = null;
            Console.CancelKeyPress += (_, e) =>
            {
                if (reply is { } running)
                {
                    e.Cancel = true;
                    running.Cancel();
                }
            };

            while (true)
            {
                if (!Console.IsInputRedirected)
                    Console.Write("> ");
                string? line = Console.ReadLine();
                if (string.IsNullOrWhiteSpace(line))
                    return 0;
                if (Console.IsInputRedirected)
                    Console.WriteLine($"> {line}");
                messages.Add(new ChatMessage(ChatRole.User, line));

                var updates = new List<ChatResponseUpdate>();
                reply = new CancellationTokenSource();
                try
                {
                    await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(messages, options, reply.Token))
                    {
                        Console.Write(update.Text);
                        updates.Add(update);
                    }
                }
                catch (OperationCanceledException)
                {
                    Console.Error.Write(" [stopped]");
                }
                catch (ArgumentException e)
                {
                    // The conversation outgrew the context (or an option is out of range): say so and end.
                    Console.WriteLine();
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 1;
                }
                finally
                {
                    reply.Dispose();
                    reply = null;
                }
                Console.WriteLine();

                ChatResponse response = updates.ToChatResponse();
                messages.AddRange(response.Messages);
                if (response.Usage is { } usage)
                {
                    long reused = usage.CachedInputTokenCount ?? 0;
                    Console.Error.WriteLine($"  [{usage.InputTokenCount - reused} prompt tokens run, {reused} reused from the cache; {usage.OutputTokenCount} reply tokens; {response.FinishReason}]");
                }
            }
        }
    }

    /// <summary>The samples' built-in tiny model with a ChatML template and its control tokens.</summary>
    private static Gguf.GgufFile BuiltInChatModel() =>
        Gguf.GgufFile.Parse(SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn with { ChatTemplate = SyntheticChatTemplates.ChatML }));
}
