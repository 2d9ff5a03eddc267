using System.Text.Json;
using System.Text.Json.Nodes;
using GqaGen.Server.Tests.Support;

namespace GqaGen.Server.Tests;

/// <summary>A client that goes away cancels its request: mid-stream the model sees the cancellation, in the queue the
/// request never reaches the model; either way the server goes on serving.</summary>
public sealed class CancellationTests
{
    private readonly Random _random = new();

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    public async Task Closing_a_stream_cancels_the_generation_and_the_next_request_is_served(string path)
    {
        await using var host = await ServerHost.StartAsync();
        host.Model.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string text = FakeText.RandomText(_random, 10, 40);

        using (var cancel = new CancellationTokenSource())
        {
            using var response = await host.PostStreamingAsync(path, Body(path, text, stream: true), cancel.Token);
            Assert.Equal(200, (int)response.StatusCode);
            using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync(cancel.Token));

            // Read up to the first piece of text: the model is now generating (and held there).
            JsonElement? chunk;
            do
                chunk = await events.NextAsync(cancel.Token).WaitAsync(ServerHost.Patience);
            while (chunk is { } c && TextOf(c).Length == 0);
            Assert.Equal(FakeText.Pieces(FakeText.Reverse(text))[0], TextOf(chunk!.Value));

            cancel.Cancel();
        }

        await host.Model.CancellationSeen.Task.WaitAsync(ServerHost.Patience);
        await ServerHost.WaitUntilAsync(() => !host.Server.IsGenerating, "the cancelled request gave the model back");

        host.Model.Hold = null;
        string next = FakeText.RandomText(_random, 5, 30);
        var (status, body) = await host.PostAsync(path, Body(path, next, stream: false));
        Assert.Equal(200, status);
        Assert.Equal(FakeText.Reverse(next), ServerHost.Json(body).GetProperty("choices")[0] is var choice && choice.TryGetProperty("message", out var m)
            ? m.GetProperty("content").GetString() : choice.GetProperty("text").GetString());
        Assert.Empty(host.Log.Errors);
        Assert.Contains(host.Log.Entries, e => e.Message.Contains("went away during generation"));
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/completions")]
    public async Task Abandoning_a_whole_answer_request_cancels_its_generation(string path)
    {
        await using var host = await ServerHost.StartAsync();
        host.Model.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using (var cancel = new CancellationTokenSource())
        {
            Task<(int, string)> request = host.PostAsync(path, Body(path, FakeText.RandomText(_random, 10, 40), stream: false), cancel.Token);
            await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }

        await host.Model.CancellationSeen.Task.WaitAsync(ServerHost.Patience);
        await ServerHost.WaitUntilAsync(() => !host.Server.IsGenerating, "the cancelled request gave the model back");
        host.Model.Hold = null;
        var (status, _) = await host.PostAsync(path, Body(path, "next", stream: false));
        Assert.Equal(200, status);
        Assert.Empty(host.Log.Errors);
    }

    [Fact]
    public async Task A_request_cancelled_while_queued_never_reaches_the_model()
    {
        await using var host = await ServerHost.StartAsync();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Model.Hold = hold;
        string first = FakeText.RandomText(_random, 10, 40);

        // The first request takes the model and is held after its first piece.
        using var firstResponse = await host.PostStreamingAsync("/v1/chat/completions", Body("/v1/chat/completions", first, stream: true));
        await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);

        // The second waits in the queue; its client gives up.
        using (var cancel = new CancellationTokenSource())
        {
            Task<(int, string)> queued = host.PostAsync("/v1/chat/completions", Body("/v1/chat/completions", "never generated", stream: false), cancel.Token);
            await ServerHost.WaitUntilAsync(() => host.Server.QueuedRequests == 1, "the second request is queued");
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        }
        await ServerHost.WaitUntilAsync(() => host.Server.QueuedRequests == 0, "the cancelled request left the queue");
        Assert.Equal(1, host.Model.Calls);
        Assert.True(host.Server.IsGenerating);

        // The first request then finishes normally, and the next is served.
        host.Model.Hold = null;
        hold.SetResult();
        using var events = new ServerSentEventReader(await firstResponse.Content.ReadAsStreamAsync());
        string streamed = string.Concat((await events.ReadAllAsync()).Select(TextOf));
        Assert.Equal(FakeText.Reverse(first), streamed);

        var (status, _) = await host.PostAsync("/v1/chat/completions", Body("/v1/chat/completions", "served", stream: false));
        Assert.Equal(200, status);
        Assert.Equal(["served"], host.Model.Started.Skip(1));
        Assert.Contains(host.Log.Entries, e => e.Message.Contains("went away while queued"));
    }

    [Fact]
    public async Task Stopping_the_server_cancels_a_generation_in_progress()
    {
        await using var host = await ServerHost.StartAsync();
        host.Model.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never released
        Task<(int, string)> request = host.PostAsync("/v1/completions", Body("/v1/completions", "abcdef", stream: false));
        await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);

        await host.Server.StopAsync().WaitAsync(ServerHost.Patience);

        // The host signals ApplicationStopping before Kestrel drains its requests, so the cancelled request still
        // gets its answer: 503 in OpenAI's shape.
        await host.Model.CancellationSeen.Task.WaitAsync(ServerHost.Patience);
        var (status, body) = await request.WaitAsync(ServerHost.Patience);
        Assert.True(status == 503, body);
        Assert.Equal("server_shutting_down", ServerHost.Json(body).GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(host.Log.Errors);
    }

    [Fact]
    public async Task Stopping_the_server_breaks_a_stream_in_progress_rather_than_ending_it_cleanly()
    {
        await using var host = await ServerHost.StartAsync();
        host.Model.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never released
        using var response = await host.PostStreamingAsync("/v1/chat/completions", Body("/v1/chat/completions", "abcdef", stream: true));
        using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync());
        await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);

        await host.Server.StopAsync().WaitAsync(ServerHost.Patience);

        await host.Model.CancellationSeen.Task.WaitAsync(ServerHost.Patience);
        // A client must not mistake the cut stream for a whole answer.
        await Assert.ThrowsAnyAsync<IOException>(() => events.ReadAllAsync().WaitAsync(ServerHost.Patience));
        Assert.False(events.Done);
    }

    private static string TextOf(JsonElement chunk)
    {
        if (chunk.GetProperty("choices").GetArrayLength() == 0)
            return "";
        JsonElement choice = chunk.GetProperty("choices")[0];
        if (choice.TryGetProperty("text", out JsonElement text))
            return text.GetString()!;
        return choice.GetProperty("delta").TryGetProperty("content", out JsonElement content) ? content.GetString()! : "";
    }

    private static string Body(string path, string text, bool stream) => path == "/v1/completions"
        ? new JsonObject { ["prompt"] = text, ["stream"] = stream }.ToJsonString()
        : EndpointTests.ChatBody(text, new JsonObject { ["stream"] = stream });
}
