using System.Text.Json;
using System.Text.Json.Nodes;
using GqaGen.Server.Tests.Support;

namespace GqaGen.Server.Tests;

/// <summary>Requests queue for the model: one generation at a time, in arrival order, each answer its own.</summary>
public sealed class QueueTests
{
    private const int Requests = 20;

    [Fact]
    public async Task Twenty_concurrent_requests_are_served_one_at_a_time_in_arrival_order()
    {
        await using var host = await ServerHost.StartAsync();
        var random = new Random();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Model.Hold = hold;

        // Distinct random inputs (the index keeps them distinct), over both endpoints, streamed or not.
        var inputs = Enumerable.Range(0, Requests).Select(i => $"{i:D2} {FakeText.RandomText(random, 5, 40)}").ToArray();
        var tasks = new Task<string>[Requests];

        // The first request takes the model and is held; each next one is sent once the previous is queued, so the
        // arrival order is known.
        tasks[0] = SendAsync(host, 0, inputs[0]);
        await host.Model.FirstPiece.Task.WaitAsync(ServerHost.Patience);
        host.Model.Hold = null;
        for (int i = 1; i < Requests; i++)
        {
            tasks[i] = SendAsync(host, i, inputs[i]);
            int queued = i;
            await ServerHost.WaitUntilAsync(() => host.Server.QueuedRequests == queued, $"{queued} requests are queued");
        }
        Assert.Equal(1, host.Model.Calls);

        hold.SetResult();
        string[] answers = await Task.WhenAll(tasks).WaitAsync(ServerHost.Patience);

        for (int i = 0; i < Requests; i++)
            Assert.Equal(FakeText.Reverse(inputs[i]), answers[i]);
        Assert.Equal(1, host.Model.MaxActive);
        Assert.Equal(inputs, host.Model.Started);
        Assert.Equal(0, host.Server.QueuedRequests);
        Assert.Empty(host.Log.Errors);
    }

    private static async Task<string> SendAsync(ServerHost host, int index, string input)
    {
        bool chat = index % 2 == 0, stream = index % 4 < 2;
        string path = chat ? "/v1/chat/completions" : "/v1/completions";
        string body = chat
            ? EndpointTests.ChatBody(input, new JsonObject { ["stream"] = stream })
            : new JsonObject { ["prompt"] = input, ["stream"] = stream }.ToJsonString();
        if (!stream)
        {
            var (status, answer) = await host.PostAsync(path, body);
            Assert.True(status == 200, answer);
            JsonElement choice = ServerHost.Json(answer).GetProperty("choices")[0];
            return chat ? choice.GetProperty("message").GetProperty("content").GetString()! : choice.GetProperty("text").GetString()!;
        }

        using var response = await host.PostStreamingAsync(path, body);
        Assert.Equal(200, (int)response.StatusCode);
        using var events = new ServerSentEventReader(await response.Content.ReadAsStreamAsync());
        var text = new System.Text.StringBuilder();
        foreach (JsonElement chunk in await events.ReadAllAsync())
        {
            JsonElement choice = chunk.GetProperty("choices")[0];
            if (chat && choice.GetProperty("delta").TryGetProperty("content", out JsonElement content))
                text.Append(content.GetString());
            else if (!chat)
                text.Append(choice.GetProperty("text").GetString());
        }
        Assert.True(events.Done);
        return text.ToString();
    }
}
