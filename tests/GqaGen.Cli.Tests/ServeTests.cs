using System.Net.Http.Json;
using System.Text.Json;
using GqaGen.Synthetic;

namespace GqaGen.Cli.Tests;

/// <summary>`gqagen serve` on a model the test writes: it prints what it serves and where, answers OpenAI requests
/// until stopped, and refuses bad command lines in one line.</summary>
public sealed class ServeTests
{
    private static string WriteModel(TempDir dir, string? template)
    {
        string path = System.IO.Path.Combine(dir.Path, "chat.gguf");
        File.WriteAllBytes(path, SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn with { ChatTemplate = template }));
        return path;
    }

    [Fact]
    public async Task Serves_chat_completions_until_stopped()
    {
        using var dir = new TempDir();
        string model = WriteModel(dir, SyntheticChatTemplates.ChatML);
        // The server writes from its own threads: synchronized writers, read under their lock.
        var outText = new StringWriter();
        var stdout = TextWriter.Synchronized(outText);
        var stderr = TextWriter.Synchronized(new StringWriter());
        string Out()
        {
            lock (stdout)
                return outText.ToString();
        }
        using var stop = new CancellationTokenSource();
        var app = new CliApp(stdout, stderr) { ServeShutdown = stop.Token };
        Task<int> run = Task.Run(() => app.Invoke(["serve", "--model", model, "--port", "0", "--alias", "tiny", "--threads", "2"]));

        string? listening = null;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (listening is null)
        {
            Assert.True(DateTime.UtcNow < deadline && !run.IsCompleted, $"serve did not start: {Out()} {stderr}");
            listening = Out().Split('\n').FirstOrDefault(l => l.StartsWith("listening ", StringComparison.Ordinal));
            if (listening is null)
                await Task.Delay(20);
        }
        var baseAddress = new Uri(listening.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal("127.0.0.1", baseAddress.Host);
        Assert.Contains("serving   'tiny' with chat template 'chatml'", Out());

        using (var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(90) })
        {
            Assert.True((await http.GetAsync("health")).IsSuccessStatusCode);
            using HttpResponseMessage response = await http.PostAsJsonAsync("v1/chat/completions",
                new { model = "tiny", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 4, temperature = 0 });
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("tiny", json.RootElement.GetProperty("model").GetString());
            Assert.Equal(4, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        stop.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.EndsWith("stopped", Out().TrimEnd());
    }

    [Fact]
    public void A_model_without_a_chat_template_is_refused_with_the_options_that_fix_it()
    {
        using var dir = new TempDir();
        string model = WriteModel(dir, template: null);
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--port", "0"), "--chat-template");
    }

    [Fact]
    public void Bad_command_lines_fail_in_one_line()
    {
        using var dir = new TempDir();
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", System.IO.Path.Combine(dir.Path, "missing.gguf")), "model file not found");
        string model = WriteModel(dir, SyntheticChatTemplates.ChatML);
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--kv", "f8"), "--kv must be");
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--threads", "0"), "--threads must be 1 or more");
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--chat-template", "chatml", "--chat-template-file", model), "not both");
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--chat-template", "no-such-family"), "no-such-family");
        CliRunner.AssertFails(CliRunner.Run("serve", "--model", model, "--port", "70000"), "Port");
        CliRunner.AssertFails(CliRunner.Run("serve"), "--model");
    }
}
