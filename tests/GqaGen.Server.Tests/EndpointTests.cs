using System.Text.Json;
using System.Text.Json.Nodes;
using GqaGen.Server.Tests.Support;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Tests;

/// <summary>Each endpoint's JSON shapes, read raw off the wire, and the server's options.</summary>
public sealed class EndpointTests
{
    private readonly Random _random = new();

    [Fact]
    public async Task Health_answers_ok()
    {
        await using var host = await ServerHost.StartAsync();
        using var response = await host.Http.GetAsync("/health");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ok", ServerHost.Json(await response.Content.ReadAsStringAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Models_lists_the_served_model_and_retrieves_it_by_id()
    {
        string id = $"model-{_random.Next()}";
        await using var host = await ServerHost.StartAsync(new FakeServedModel(id));

        JsonElement list = ServerHost.Json(await host.Http.GetStringAsync("/v1/models"));
        Assert.Equal("list", list.GetProperty("object").GetString());
        JsonElement card = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(id, card.GetProperty("id").GetString());
        Assert.Equal("model", card.GetProperty("object").GetString());
        Assert.Equal("gqagen", card.GetProperty("owned_by").GetString());
        Assert.InRange(card.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        JsonElement one = ServerHost.Json(await host.Http.GetStringAsync($"/v1/models/{id}"));
        Assert.Equal(id, one.GetProperty("id").GetString());

        using var missing = await host.Http.GetAsync("/v1/models/other-model");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("model_not_found", ServerHost.Json(await missing.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Apply_template_returns_the_models_prompt_for_string_and_part_contents()
    {
        await using var host = await ServerHost.StartAsync();
        string system = FakeText.RandomText(_random, 1, 30), first = FakeText.RandomText(_random, 1, 30), second = FakeText.RandomText(_random, 1, 30);
        string body = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = system },
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = first },
                    new JsonObject { ["type"] = "text", ["text"] = second }) }),
        }.ToJsonString();

        var (status, answer) = await host.PostAsync("/apply-template", body);

        Assert.Equal(200, status);
        string expected = host.Model.ApplyTemplate([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, [new TextContent(first), new TextContent(second)])]);
        Assert.Equal(expected, ServerHost.Json(answer).GetProperty("prompt").GetString());
        Assert.Contains(first + second, expected);
        Assert.Contains("<|assistant|>", answer); // relaxed escaping: the template's markers read as themselves
    }

    [Fact]
    public async Task Chat_completion_has_openais_shape()
    {
        await using var host = await ServerHost.StartAsync();
        string user = FakeText.RandomText(_random, 10, 40);
        var (status, body) = await host.PostAsync("/v1/chat/completions", ChatBody(user));

        Assert.Equal(200, status);
        JsonElement completion = ServerHost.Json(body);
        Assert.StartsWith("chatcmpl-", completion.GetProperty("id").GetString());
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.Equal(host.Model.Id, completion.GetProperty("model").GetString());
        JsonElement choice = Assert.Single(completion.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(FakeText.Reverse(user), choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        JsonElement usage = completion.GetProperty("usage");
        Assert.Equal(FakeText.Pieces(FakeText.Reverse(user)).Count, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(host.Model.ApplyTemplate([new ChatMessage(ChatRole.User, user)]).Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Streamed_chat_completion_has_openais_chunks(bool includeUsage)
    {
        await using var host = await ServerHost.StartAsync();
        string user = FakeText.RandomText(_random, 10, 40);
        int maxTokens = _random.Next(2, FakeText.Pieces(user).Count);
        string body = ChatBody(user, extra: new JsonObject
        {
            ["stream"] = true,
            ["max_tokens"] = maxTokens,
            ["stream_options"] = new JsonObject { ["include_usage"] = includeUsage },
        });

        using var response = await host.PostStreamingAsync("/v1/chat/completions", body);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync());
        List<JsonElement> chunks = await events.ReadAllAsync();

        Assert.True(events.Done, "the stream ends with data: [DONE]");
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        List<JsonElement> choiceChunks = includeUsage ? chunks[..^1] : chunks;
        Assert.Equal("assistant", choiceChunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(choiceChunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        JsonElement last = choiceChunks[^1].GetProperty("choices")[0];
        Assert.Equal("length", last.GetProperty("finish_reason").GetString());
        Assert.Empty(last.GetProperty("delta").EnumerateObject());

        string text = string.Concat(choiceChunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Equal(string.Concat(FakeText.Pieces(FakeText.Reverse(user)).Take(maxTokens)), text);
        Assert.Equal(maxTokens, choiceChunks.Count(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) && t.GetString()!.Length > 0));

        if (includeUsage)
        {
            JsonElement usageChunk = chunks[^1];
            Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
            Assert.Equal(maxTokens, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        else
        {
            Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        }
    }

    [Fact]
    public async Task Completion_continues_the_raw_prompt()
    {
        await using var host = await ServerHost.StartAsync();
        string prompt = FakeText.RandomText(_random, 10, 60);
        var stop = FakeText.Reverse(prompt).Substring(_random.Next(2, prompt.Length - 2), 2);
        var (status, body) = await host.PostAsync("/v1/completions", new JsonObject
        {
            ["model"] = host.Model.Id,
            ["prompt"] = prompt,
            ["stop"] = stop,
            ["top_k"] = 7,
        }.ToJsonString());

        Assert.Equal(200, status);
        JsonElement completion = ServerHost.Json(body);
        Assert.StartsWith("cmpl-", completion.GetProperty("id").GetString());
        Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        JsonElement choice = Assert.Single(completion.GetProperty("choices").EnumerateArray());
        string reversed = FakeText.Reverse(prompt);
        Assert.Equal(reversed[..reversed.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(prompt.Length, completion.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(7, host.Model.LastOptions?.TopK);
        Assert.Equal([stop], host.Model.LastOptions?.StopSequences ?? []);
    }

    [Fact]
    public async Task Streamed_completion_sends_the_same_text_in_pieces()
    {
        await using var host = await ServerHost.StartAsync();
        string prompt = FakeText.RandomText(_random, 10, 60);
        int maxTokens = _random.Next(2, FakeText.Pieces(prompt).Count);
        string request(bool stream) => new JsonObject
        {
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["stream"] = stream,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        }.ToJsonString();

        var (_, whole) = await host.PostAsync("/v1/completions", request(false));
        using var response = await host.PostStreamingAsync("/v1/completions", request(true));
        using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync());
        List<JsonElement> chunks = await events.ReadAllAsync();

        Assert.True(events.Done);
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        List<JsonElement> pieces = chunks[..^1];
        string streamed = string.Concat(pieces.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        JsonElement wholeChoice = ServerHost.Json(whole).GetProperty("choices")[0];
        Assert.Equal(wholeChoice.GetProperty("text").GetString(), streamed);
        Assert.Equal(string.Concat(FakeText.Pieces(FakeText.Reverse(prompt)).Take(maxTokens)), streamed);
        Assert.Equal("length", pieces[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("length", wholeChoice.GetProperty("finish_reason").GetString());
        Assert.Equal(maxTokens, pieces.Count - 1); // one event per token, then the finish event
        Assert.Empty(chunks[^1].GetProperty("choices").EnumerateArray());
        Assert.Equal(maxTokens, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Options_reach_the_model_as_chat_options()
    {
        await using var host = await ServerHost.StartAsync();
        float temperature = (float)Math.Round(_random.NextDouble() * 2, 3), topP = (float)Math.Round(0.001 + _random.NextDouble() * 0.999, 3);
        int topK = _random.Next(0, 100), maxTokens = _random.Next(1, host.Model.ContextLength + 1);
        long seed = _random.NextInt64(long.MinValue, long.MaxValue);
        var (status, body) = await host.PostAsync("/v1/chat/completions", ChatBody("hello", extra: new JsonObject
        {
            ["temperature"] = temperature,
            ["top_p"] = topP,
            ["top_k"] = topK,
            ["seed"] = seed,
            ["max_tokens"] = maxTokens,
            ["stop"] = new JsonArray("zz", "yy"),
            ["n"] = 1,
            ["unknown_field"] = new JsonObject { ["nested"] = new JsonArray(1, 2) },
            ["logit_bias"] = new JsonObject { ["5"] = 1 },
            ["user"] = "someone",
        }));

        Assert.True(status == 200, body);
        ChatOptions options = host.Model.LastOptions!;
        Assert.Equal(temperature, options.Temperature);
        Assert.Equal(topP, options.TopP);
        Assert.Equal(topK, options.TopK);
        Assert.Equal(seed, options.Seed);
        Assert.Equal(maxTokens, options.MaxOutputTokens);
        Assert.Equal(["zz", "yy"], options.StopSequences ?? []);
        Assert.Equal(host.Model.Id, options.ModelId);
    }

    [Fact]
    public async Task Absent_or_null_options_stay_unset()
    {
        await using var host = await ServerHost.StartAsync();
        var (status, _) = await host.PostAsync("/v1/chat/completions",
            """{"messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}], "temperature": null, "max_tokens": null, "stop": null, "stream": null}""");

        Assert.Equal(200, status);
        ChatOptions options = host.Model.LastOptions!;
        Assert.Null(options.Temperature);
        Assert.Null(options.TopP);
        Assert.Null(options.TopK);
        Assert.Null(options.Seed);
        Assert.Null(options.MaxOutputTokens);
        Assert.Null(options.StopSequences);
    }

    [Fact]
    public async Task Any_model_name_is_accepted_when_the_option_says_so()
    {
        await using var host = await ServerHost.StartAsync(options: new GqaGenServerOptions { AcceptAnyModelName = true });
        var (status, body) = await host.PostAsync("/v1/chat/completions", """{"model": "gpt-4o", "messages": [{"role": "user", "content": "abc"}]}""");

        Assert.Equal(200, status);
        Assert.Equal(host.Model.Id, ServerHost.Json(body).GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_model_that_throws_gets_a_500_in_openais_shape_and_the_server_goes_on()
    {
        await using var host = await ServerHost.StartAsync();

        var (status, body) = await host.PostAsync("/v1/chat/completions", ChatBody(FakeServedModel.Crash));
        Assert.Equal(500, status);
        JsonElement error = ServerHost.Json(body).GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Contains("InvalidOperationException", error.GetProperty("message").GetString());
        Assert.Single(host.Log.Errors);

        string user = FakeText.RandomText(_random, 5, 20);
        (status, body) = await host.PostAsync("/v1/chat/completions", ChatBody(user));
        Assert.Equal(200, status);
        Assert.Equal(FakeText.Reverse(user), ServerHost.Json(body).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_failure_after_the_stream_started_ends_it_with_an_error_event()
    {
        await using var host = await ServerHost.StartAsync();

        using var response = await host.PostStreamingAsync("/v1/chat/completions", ChatBody(FakeServedModel.CrashMidway, new JsonObject { ["stream"] = true }));
        Assert.Equal(200, (int)response.StatusCode);
        using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync());
        List<JsonElement> chunks = await events.ReadAllAsync();

        Assert.False(events.Done, "a broken stream does not claim to be [DONE]");
        Assert.Equal("server_error", chunks[^1].GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(FakeText.Pieces(FakeText.Reverse(FakeServedModel.CrashMidway))[0],
            chunks[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());

        var (status, _) = await host.PostAsync("/v1/chat/completions", ChatBody("still serving"));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Listens_on_loopback_by_default_and_reports_the_port_it_got()
    {
        await using var host = await ServerHost.StartAsync();
        Uri address = host.Server.BaseAddress;
        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(0, address.Port);
        Assert.Equal("/", address.AbsolutePath);
        Assert.Equal("127.0.0.1", new GqaGenServerOptions().Host);
    }

    [Fact]
    public async Task Localhost_means_ipv4_loopback_and_a_host_name_is_refused()
    {
        await using (var host = await ServerHost.StartAsync(options: new GqaGenServerOptions { Host = "localhost" }))
            Assert.Equal("127.0.0.1", host.Server.BaseAddress.Host);

        var error = Assert.Throws<ArgumentException>(() => GqaGenServer.Create(new FakeServedModel(), new GqaGenServerOptions { Host = "example.org" }));
        Assert.Contains("example.org", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GqaGenServerOptions { Port = 70000 });
        Assert.Throws<InvalidOperationException>(() => GqaGenServer.Create(new FakeServedModel()).BaseAddress);
    }

    internal static string ChatBody(string user, JsonObject? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = "fake-model",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = user }),
        };
        foreach (var (name, value) in extra ?? [])
            body[name] = value?.DeepClone();
        return body.ToJsonString();
    }
}
