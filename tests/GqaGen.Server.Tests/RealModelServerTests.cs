using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GqaGen.AI;
using GqaGen.Llama;
using GqaGen.Synthetic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace GqaGen.Server.Tests;

/// <summary>A random-weight model with a ChatML template, written by the test, loaded once for the class.</summary>
public sealed class ServedChatModel : IDisposable
{
    public ServedChatModel()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gqagen-server-tests-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(Path, SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn with { ChatTemplate = SyntheticChatTemplates.ChatML }));
        Model = LlamaModel.Load(Path);
    }

    public string Path { get; }

    public LlamaModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        File.Delete(Path);
    }
}

/// <summary>
/// The server over a real GqaGen model (not the fake): the official OpenAI client through Microsoft.Extensions.AI's
/// adapter gets, greedily, exactly the text the in-process <see cref="GqaGenChatClient"/> produces; a cancelled stream
/// leaves the model serving; 20 concurrent requests each get their own correct reply; 50 malformed requests get 4xx
/// while a valid one runs beside them.
/// </summary>
public sealed class RealModelServerTests(ServedChatModel served) : IClassFixture<ServedChatModel>
{
    private const string ModelId = "tiny-chat";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static List<ChatMessage> Conversation(string question) =>
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, question),
    ];

    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    private GqaGenChatClient NewClient() => new(served.Model, new GqaGenChatClientOptions { ModelId = ModelId });

    /// <summary>The reply the in-process client gives (a client of its own, so no cache is shared with the server's).</summary>
    private async Task<string> InProcessAsync(List<ChatMessage> messages, int maxTokens)
    {
        using var client = NewClient();
        return (await client.GetResponseAsync(messages, Greedy(maxTokens))).Text;
    }

    private async Task<(GqaGenServer Server, GqaGenChatClient Client)> StartAsync()
    {
        var client = NewClient();
        var server = await GqaGenServer.StartAsync(new LlamaServedModel(client, ownsClient: true),
            new GqaGenServerOptions { Port = 0, ConfigureLogging = logging => logging.ClearProviders() });
        return (server, client);
    }

    private static IChatClient OpenAiChatClient(GqaGenServer server) =>
        new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient(ModelId).AsIChatClient();

    [Fact]
    public async Task OpenAI_client_gets_the_in_process_reply_whole_and_streamed()
    {
        var messages = Conversation("Tell me about foxes.");
        string expected = await InProcessAsync(messages, 16);
        Assert.NotEmpty(expected);

        var (server, _) = await StartAsync();
        await using (server)
        {
            IChatClient remote = OpenAiChatClient(server);
            ChatResponse whole = await remote.GetResponseAsync(messages, Greedy(16));
            Assert.Equal(expected, whole.Text);
            Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
            Assert.Equal(16, whole.Usage!.OutputTokenCount);

            var pieces = new List<string>();
            ChatFinishReason? finish = null;
            await foreach (ChatResponseUpdate update in remote.GetStreamingResponseAsync(messages, Greedy(16)))
            {
                if (update.Text.Length > 0)
                    pieces.Add(update.Text);
                finish ??= update.FinishReason;
            }
            Assert.Equal(expected, string.Concat(pieces));
            Assert.True(pieces.Count > 1, $"the reply came in {pieces.Count} piece(s)");
            Assert.Equal(ChatFinishReason.Length, finish);
        }
    }

    [Fact]
    public async Task A_cancelled_stream_stops_and_the_model_serves_the_next_request()
    {
        var messages = Conversation("Count slowly.");
        string expected = await InProcessAsync(messages, 8);
        var (server, _) = await StartAsync();
        await using (server)
        {
            IChatClient remote = OpenAiChatClient(server);
            using var cts = new CancellationTokenSource();
            int pieces = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (ChatResponseUpdate update in remote.GetStreamingResponseAsync(messages, Greedy(400), cts.Token))
                {
                    if (update.Text.Length > 0 && ++pieces == 2)
                        cts.Cancel();
                }
            });
            Assert.Equal(2, pieces);

            ChatResponse next = await remote.GetResponseAsync(messages, Greedy(8));
            Assert.Equal(expected, next.Text);
        }
    }

    [Fact]
    public async Task Twenty_concurrent_requests_each_get_their_own_correct_reply()
    {
        string[] questions = Enumerable.Range(1, 20).Select(i => $"Question number {i}: what comes next?").ToArray();
        var expected = new List<string>();
        foreach (string q in questions)
            expected.Add(await InProcessAsync(Conversation(q), 6));

        var (server, _) = await StartAsync();
        await using (server)
        {
            IChatClient remote = OpenAiChatClient(server);
            string[] replies = await Task.WhenAll(questions.Select((q, i) => Task.Run(async () =>
            {
                if (i % 2 == 0)
                    return (await remote.GetResponseAsync(Conversation(q), Greedy(6))).Text;
                var text = new StringBuilder();
                await foreach (ChatResponseUpdate update in remote.GetStreamingResponseAsync(Conversation(q), Greedy(6)))
                    text.Append(update.Text);
                return text.ToString();
            }))).WaitAsync(Patience);
            Assert.Equal(expected, replies);
        }
    }

    /// <summary>At least fifty bad bodies, each of a kind a client gets wrong: broken JSON, wrong types, empty or unknown
    /// messages, absurd numbers, an unknown model.</summary>
    public static IEnumerable<string> MalformedBodies()
    {
        const string ok = """{"role":"user","content":"hi"}""";
        string[] brokenJson = ["", "{", "}", "[]", "null", "42", "\"text\"", "{\"messages\":", "{messages: []}", """{"messages":[""" + ok + "]"];
        foreach (string body in brokenJson) yield return body;
        string[] wrongTypes =
        [
            """{"messages":"hi"}""", """{"messages":{"role":"user"}}""", """{"messages":[42]}""", """{"messages":[{"role":7,"content":"hi"}]}""",
            """{"messages":[{"role":"user","content":7}]}""", """{"messages":[""" + ok + """],"temperature":"hot"}""",
            """{"messages":[""" + ok + """],"max_tokens":"many"}""", """{"messages":[""" + ok + """],"stream":"yes"}""",
            """{"messages":[""" + ok + """],"top_p":[1]}""", """{"messages":[""" + ok + """],"stop":5}""",
        ];
        foreach (string body in wrongTypes) yield return body;
        string[] badMessages =
        [
            """{"messages":[]}""", """{"model":"tiny-chat"}""", """{"messages":null}""",
            """{"messages":[{"role":"wizard","content":"hi"}]}""", """{"messages":[{"role":"tool","content":"hi"}]}""",
            """{"messages":[{"role":"","content":"hi"}]}""", """{"messages":[{"content":"hi"}]}""",
            """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]}""",
        ];
        foreach (string body in badMessages) yield return body;
        foreach (string field in new[] { "max_tokens", "max_completion_tokens" })
        {
            foreach (string value in new[] { "-1", "0", "1000000000", "99999999999999999999", "2.5" })
                yield return """{"messages":[""" + ok + $$"""],"{{field}}":{{value}}}""";
        }
        foreach (string value in new[] { "-0.5", "2.5", "1e9", "\"0.7\"" })
            yield return """{"messages":[""" + ok + $$"""],"temperature":{{value}}}""";
        foreach (string value in new[] { "0", "-1", "1.5" })
            yield return """{"messages":[""" + ok + $$"""],"top_p":{{value}}}""";
        foreach (string model in new[] { "gpt-4o", "", "tiny" })
            yield return """{"messages":[""" + ok + $$"""],"model":"{{model}}"}""";
        yield return """{"messages":[""" + ok + """],"n":2}""";
        yield return """{"messages":[""" + ok + """],"top_k":-3}""";
        yield return """{"messages":[{"role":"user","content":"hi"}],"seed":"lucky"}""";
        yield return """{"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":"yes"},"stream":true}""";
        yield return """{"messages":[{"role":"user","content":"hi"}],"max_tokens":null,"temperature":{}}""";
        yield return """{"messages":[{"role":"user","content":"hi"}],"stop":[1,2]}""";
    }

    [Fact]
    public async Task Fifty_malformed_requests_get_4xx_with_an_error_body_while_a_valid_one_succeeds()
    {
        string[] bodies = MalformedBodies().ToArray();
        Assert.True(bodies.Length >= 50, $"{bodies.Length} bodies");
        var messages = Conversation("Say hello.");
        string expected = await InProcessAsync(messages, 24);

        var (server, _) = await StartAsync();
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Patience };
            Task<ChatResponse> valid = OpenAiChatClient(server).GetResponseAsync(messages, Greedy(24));
            var answers = await Task.WhenAll(bodies.Select(async body =>
            {
                using var content = new StringContent(body, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using HttpResponseMessage response = await http.PostAsync("v1/chat/completions", content);
                return (Body: body, Status: (int)response.StatusCode, Answer: await response.Content.ReadAsStringAsync());
            }));
            foreach (var (body, status, answer) in answers)
            {
                Assert.True(status is >= 400 and < 500, $"{body} → {status}: {answer}");
                using var error = JsonDocument.Parse(answer);
                JsonElement e = error.RootElement.GetProperty("error");
                Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()), $"{body} → {answer}");
                Assert.Equal(JsonValueKind.String, e.GetProperty("type").ValueKind);
            }
            Assert.Equal(expected, (await valid.WaitAsync(Patience)).Text);
            using HttpResponseMessage health = await http.GetAsync("health");
            Assert.True(health.IsSuccessStatusCode);
        }
    }

    [Fact]
    public async Task Apply_template_and_completions_use_the_model()
    {
        var (server, client) = await StartAsync();
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Patience };
            using var content = new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await http.PostAsync("apply-template", content);
            using var prompt = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", prompt.RootElement.GetProperty("prompt").GetString());

            string expected = (await new TextGenerator(served.Model).GenerateAsync("Once upon a time",
                new GenerationOptions { MaxTokens = 10, Sampling = SamplingOptions.Greedy })).Text;
            using var completion = new StringContent("""{"prompt":"Once upon a time","max_tokens":10,"temperature":0}""", Encoding.UTF8, "application/json");
            using HttpResponseMessage answer = await http.PostAsync("v1/completions", completion);
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            Assert.Equal(expected, json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        }
    }
}
