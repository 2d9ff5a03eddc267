using System.Text;
using System.Text.Json;
using GqaGen.Server.Tests.Support;

namespace GqaGen.Server.Tests;

/// <summary>
/// Bad requests of every kind get a 4xx with OpenAI's error object naming the field at fault, never a 500, while a
/// valid request in parallel is served and the server stays healthy.
/// </summary>
public sealed class MalformedRequestTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";
    private const string Template = "/apply-template";
    private const int ContextLength = 300;
    private const int BodyLimit = 32 * 1024;

    /// <summary>A bad request: where it goes, its body, the status and the <c>param</c> (null: none) expected.</summary>
    public sealed record Case(string Name, string Path, byte[] Body, int Status, string? Param, string? Code = null, string Method = "POST")
    {
        public Case(string name, string path, string body, int status, string? param, string? code = null, string method = "POST")
            : this(name, path, Encoding.UTF8.GetBytes(body), status, param, code, method)
        {
        }

        public override string ToString() => Name;
    }

    private const string User = """{"role": "user", "content": "hi"}""";

    /// <summary>Requests the server refuses before they reach the queue (the model never sees them).</summary>
    private static IEnumerable<Case> RefusedUpFront()
    {
        // Malformed JSON.
        yield return new("truncated JSON", Chat, """{"messages": [""", 400, null, "invalid_json");
        yield return new("not JSON", Chat, "messages=hi", 400, null, "invalid_json");
        yield return new("empty body", Chat, "", 400, null, "invalid_json");
        yield return new("trailing comma", Chat, $$"""{"messages": [{{User}}],}""", 400, null, "invalid_json");
        yield return new("single quotes", Chat, "{'messages': []}", 400, null, "invalid_json");
        yield return new("array body", Chat, $"[{User}]", 400, null, "invalid_type");
        yield return new("string body", Completions, "\"hello\"", 400, null, "invalid_type");
        yield return new("nested too deep", Chat, $$"""{"messages": [{{User}}], "x": {{new string('[', 100)}}{{new string(']', 100)}}}""", 400, null, "invalid_json");
        yield return new("invalid UTF-8", Chat, [.. """{"messages": [{"role": "user", "content": "a"""u8, 0xFF, 0xFE, .. "\"}]}"u8], 400, null);
        yield return new("lone surrogate", Chat, """{"messages": [{"role": "user", "content": "a\ud800b"}]}""", 400, "messages[0].content");

        // Fields of the wrong type.
        yield return new("string temperature", Chat, $$"""{"messages": [{{User}}], "temperature": "0.5"}""", 400, "temperature", "invalid_type");
        yield return new("object messages", Chat, """{"messages": {"role": "user", "content": "hi"}}""", 400, "messages", "invalid_type");
        yield return new("string messages", Chat, """{"messages": "hi"}""", 400, "messages", "invalid_type");
        yield return new("string max_tokens", Chat, $$"""{"messages": [{{User}}], "max_tokens": "10"}""", 400, "max_tokens", "invalid_type");
        yield return new("fractional max_tokens", Chat, $$"""{"messages": [{{User}}], "max_tokens": 1.5}""", 400, "max_tokens");
        yield return new("string stream", Chat, $$"""{"messages": [{{User}}], "stream": "yes"}""", 400, "stream", "invalid_type");
        yield return new("number stop", Chat, $$"""{"messages": [{{User}}], "stop": 5}""", 400, "stop", "invalid_type");
        yield return new("number in stop array", Chat, $$"""{"messages": [{{User}}], "stop": ["a", 1]}""", 400, "stop[1]", "invalid_type");
        yield return new("boolean top_p", Chat, $$"""{"messages": [{{User}}], "top_p": true}""", 400, "top_p", "invalid_type");
        yield return new("string seed", Chat, $$"""{"messages": [{{User}}], "seed": "x"}""", 400, "seed", "invalid_type");
        yield return new("number model", Chat, $$"""{"messages": [{{User}}], "model": 42}""", 400, "model", "invalid_type");
        yield return new("string message", Chat, """{"messages": ["hi"]}""", 400, "messages[0]", "invalid_type");
        yield return new("number role", Chat, """{"messages": [{"role": 5, "content": "hi"}]}""", 400, "messages[0].role", "invalid_type");
        yield return new("number content", Chat, """{"messages": [{"role": "user", "content": 5}]}""", 400, "messages[0].content", "invalid_type");
        yield return new("object content", Chat, """{"messages": [{"role": "user", "content": {"text": "hi"}}]}""", 400, "messages[0].content", "invalid_type");
        yield return new("number content part", Chat, """{"messages": [{"role": "user", "content": [5]}]}""", 400, "messages[0].content[0]", "invalid_type");
        yield return new("string stream_options", Chat, $$"""{"messages": [{{User}}], "stream": true, "stream_options": "x"}""", 400, "stream_options", "invalid_type");
        yield return new("string include_usage", Chat, $$$"""{"messages": [{{{User}}}], "stream": true, "stream_options": {"include_usage": "yes"}}""", 400, "stream_options.include_usage", "invalid_type");
        yield return new("string n", Chat, $$"""{"messages": [{{User}}], "n": "2"}""", 400, "n", "invalid_type");
        yield return new("string top_k", Completions, """{"prompt": "hi", "top_k": "5"}""", 400, "top_k", "invalid_type");

        // Unknown roles.
        yield return new("unknown role", Chat, """{"messages": [{"role": "alien", "content": "hi"}]}""", 400, "messages[0].role", "invalid_value");
        yield return new("tool role", Chat, $$"""{"messages": [{{User}}, {"role": "tool", "content": "42"}]}""", 400, "messages[1].role");
        yield return new("empty role", Chat, """{"messages": [{"role": "", "content": "hi"}]}""", 400, "messages[0].role", "invalid_value");
        yield return new("upper-case role", Chat, """{"messages": [{"role": "USER", "content": "hi"}]}""", 400, "messages[0].role", "invalid_value");
        yield return new("unknown role in template", Template, """{"messages": [{"role": "narrator", "content": "hi"}]}""", 400, "messages[0].role", "invalid_value");

        // Missing or empty.
        yield return new("empty messages", Chat, """{"messages": []}""", 400, "messages", "empty_array");
        yield return new("no messages", Chat, """{"model": "fake-model"}""", 400, "messages", "missing_required_parameter");
        yield return new("null messages", Chat, """{"messages": null}""", 400, "messages", "missing_required_parameter");
        yield return new("empty object", Chat, "{}", 400, "messages", "missing_required_parameter");
        yield return new("message without role", Chat, """{"messages": [{"content": "hi"}]}""", 400, "messages[0].role", "missing_required_parameter");
        yield return new("message without content", Chat, """{"messages": [{"role": "user"}]}""", 400, "messages[0].content", "missing_required_parameter");
        yield return new("null content", Chat, """{"messages": [{"role": "assistant", "content": null}]}""", 400, "messages[0].content", "missing_required_parameter");
        yield return new("empty content parts", Chat, """{"messages": [{"role": "user", "content": []}]}""", 400, "messages[0].content", "empty_array");
        yield return new("no prompt", Completions, """{"max_tokens": 5}""", 400, "prompt", "missing_required_parameter");
        yield return new("prompt batch", Completions, """{"prompt": ["a", "b"]}""", 400, "prompt", "invalid_type");
        yield return new("token prompt", Completions, """{"prompt": 5}""", 400, "prompt", "invalid_type");
        yield return new("empty template messages", Template, """{"messages": []}""", 400, "messages", "empty_array");

        // A model this server does not serve.
        yield return new("unknown model", Chat, $$"""{"model": "gpt-4o", "messages": [{{User}}]}""", 404, "model", "model_not_found");
        yield return new("unknown model, completions", Completions, """{"model": "davinci-002", "prompt": "hi"}""", 404, "model", "model_not_found");

        // n other than 1.
        yield return new("n = 2", Chat, $$"""{"messages": [{{User}}], "n": 2}""", 400, "n");
        yield return new("n = 0", Chat, $$"""{"messages": [{{User}}], "n": 0}""", 400, "n", "integer_below_min_value");

        // max_tokens out of range.
        yield return new("negative max_tokens", Chat, $$"""{"messages": [{{User}}], "max_tokens": -1}""", 400, "max_tokens", "integer_below_min_value");
        yield return new("zero max_tokens", Completions, """{"prompt": "hi", "max_tokens": 0}""", 400, "max_tokens", "integer_below_min_value");
        yield return new("max_tokens above the context", Chat, $$"""{"messages": [{{User}}], "max_tokens": {{ContextLength + 1}}}""", 400, "max_tokens", "integer_above_max_value");
        yield return new("absurd max_completion_tokens", Chat, $$"""{"messages": [{{User}}], "max_completion_tokens": 1000000000}""", 400, "max_completion_tokens", "integer_above_max_value");
        yield return new("max_tokens beyond 64 bits", Completions, """{"prompt": "hi", "max_tokens": 1e30}""", 400, "max_tokens");

        // Sampling values out of range.
        yield return new("negative temperature", Chat, $$"""{"messages": [{{User}}], "temperature": -0.1}""", 400, "temperature", "decimal_below_min_value");
        yield return new("temperature above 2", Chat, $$"""{"messages": [{{User}}], "temperature": 2.5}""", 400, "temperature", "decimal_above_max_value");
        yield return new("huge temperature", Completions, """{"prompt": "hi", "temperature": 1e400}""", 400, "temperature");
        yield return new("top_p zero", Chat, $$"""{"messages": [{{User}}], "top_p": 0}""", 400, "top_p", "decimal_below_min_value");
        yield return new("top_p above 1", Completions, """{"prompt": "hi", "top_p": 1.5}""", 400, "top_p", "decimal_above_max_value");
        yield return new("negative top_k", Chat, $$"""{"messages": [{{User}}], "top_k": -1}""", 400, "top_k", "integer_below_min_value");
        yield return new("empty stop", Chat, $$"""{"messages": [{{User}}], "stop": ""}""", 400, "stop", "invalid_value");

        // Content this server cannot read.
        yield return new("image part", Chat, """{"messages": [{"role": "user", "content": [{"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}""", 400, "messages[0].content[1].type", "invalid_value");
        yield return new("audio part", Chat, """{"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]}""", 400, "messages[0].content[0].type", "invalid_value");
        yield return new("part without type", Chat, """{"messages": [{"role": "user", "content": [{"text": "hi"}]}]}""", 400, "messages[0].content[0].type", "missing_required_parameter");
        yield return new("text part without text", Chat, """{"messages": [{"role": "user", "content": [{"type": "text"}]}]}""", 400, "messages[0].content[0].text", "missing_required_parameter");
        yield return new("tools", Chat, $$$"""{"messages": [{{{User}}}], "tools": [{"type": "function", "function": {"name": "f"}}]}""", 400, "tools", "unsupported_parameter");

        // Too large, wrong path, wrong method.
        yield return new("body over the limit", Chat, $$"""{"messages": [{"role": "user", "content": "{{new string('x', BodyLimit)}}"}]}""", 413, null, "request_too_large");
        yield return new("unknown path", "/v1/engines", "{}", 404, null, "unknown_url");
        yield return new("GET on chat completions", Chat, "", 405, null, null, "GET");
        yield return new("DELETE on models", "/v1/models", "", 405, null, null, "DELETE");
    }

    /// <summary>Requests refused by the model (its ArgumentException), after their turn in the queue.</summary>
    private static IEnumerable<Case> RefusedByTheModel()
    {
        string longText = new('y', ContextLength + 1);
        yield return new("chat prompt longer than the context", Chat, $$"""{"messages": [{"role": "user", "content": "{{longText}}"}]}""", 400, "messages", "invalid_value");
        yield return new("streamed chat prompt longer than the context", Chat, $$"""{"messages": [{"role": "user", "content": "{{longText}}"}], "stream": true}""", 400, "messages", "invalid_value");
        yield return new("completion prompt longer than the context", Completions, $$"""{"prompt": "{{longText}}"}""", 400, "prompt", "invalid_value");
        yield return new("streamed completion prompt longer than the context", Completions, $$"""{"prompt": "{{longText}}", "stream": true}""", 400, "prompt", "invalid_value");
        yield return new("conversation without a user message", Chat, """{"messages": [{"role": "system", "content": "you are terse"}]}""", 400, "messages", "invalid_value");
    }

    [Fact]
    public async Task Every_bad_request_gets_a_4xx_with_openais_error_object_while_valid_requests_are_served()
    {
        await using var host = await ServerHost.StartAsync(new FakeServedModel(contextLength: ContextLength),
            new GqaGenServerOptions { MaxRequestBodyBytes = BodyLimit });
        var random = new Random();
        List<Case> upFront = [.. RefusedUpFront()], byModel = [.. RefusedByTheModel()];
        Assert.True(upFront.Count + byModel.Count >= 50, $"{upFront.Count + byModel.Count} cases");

        // A valid request holds the model while every up-front refusal is answered: those never wait for the queue.
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Model.Hold = hold;
        string valid = FakeText.RandomText(random, 10, 40);
        Task<(int Status, string Body)> validRequest = host.PostAsync(Chat, EndpointTests.ChatBody(valid));
        await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);
        host.Model.Hold = null;

        await Task.WhenAll(upFront.Select(c => AssertRefusedAsync(host, c))).WaitAsync(ServerHost.Patience);
        Assert.False(validRequest.IsCompleted);

        hold.SetResult();
        var (status, body) = await validRequest.WaitAsync(ServerHost.Patience);
        Assert.Equal(200, status);
        Assert.Equal(FakeText.Reverse(valid), ServerHost.Json(body).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // The model's own refusals go through the queue, interleaved with a valid request.
        string other = FakeText.RandomText(random, 10, 40);
        Task<(int Status, string Body)> otherRequest = host.PostAsync(Completions, $$"""{"prompt": {{JsonSerializer.Serialize(other)}}}""");
        await Task.WhenAll(byModel.Select(c => AssertRefusedAsync(host, c))).WaitAsync(ServerHost.Patience);
        (status, body) = await otherRequest.WaitAsync(ServerHost.Patience);
        Assert.Equal(200, status);
        Assert.Equal(FakeText.Reverse(other), ServerHost.Json(body).GetProperty("choices")[0].GetProperty("text").GetString());

        Assert.Equal(2, host.Model.Calls); // no refused request ever generated
        Assert.Empty(host.Log.Errors);      // and none was an unexpected exception
        using var health = await host.Http.GetAsync("/health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    private static async Task AssertRefusedAsync(ServerHost host, Case badCase)
    {
        using var request = new HttpRequestMessage(new HttpMethod(badCase.Method), badCase.Path);
        if (badCase.Method == "POST")
        {
            request.Content = new ByteArrayContent(badCase.Body);
            request.Content.Headers.ContentType = new("application/json");
        }
        using HttpResponseMessage response = await host.Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        string context = $"{badCase.Name}: {(int)response.StatusCode} {body}";

        Assert.True((int)response.StatusCode == badCase.Status, context);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonElement error = ServerHost.Json(body).GetProperty("error");
        Assert.True(error.GetProperty("message").GetString()!.Length > 20, context);
        Assert.True(error.GetProperty("type").GetString() == "invalid_request_error", context);
        Assert.True(error.TryGetProperty("param", out JsonElement param), context);
        Assert.True(error.TryGetProperty("code", out JsonElement code), context);
        if (badCase.Param is not null)
        {
            Assert.True(param.GetString() == badCase.Param, context);
            Assert.Contains(badCase.Param.Split('[', '.')[0], error.GetProperty("message").GetString()!);
        }
        if (badCase.Code is not null)
            Assert.True(code.GetString() == badCase.Code, context);
        if (badCase.Status == 405)
        {
            string allowed = Assert.Single(response.Content.Headers.Allow); // each path takes one method
            Assert.Contains($"use {allowed}", error.GetProperty("message").GetString());
        }
    }
}
