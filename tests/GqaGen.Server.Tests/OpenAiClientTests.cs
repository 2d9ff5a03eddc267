using System.ClientModel;
using GqaGen.Server.Tests.Support;
using Microsoft.Extensions.AI;
using OpenAI;

namespace GqaGen.Server.Tests;

/// <summary>
/// The official OpenAI .NET client, through Microsoft.Extensions.AI's IChatClient adapter, against the server: the
/// answer must equal what the model's own IChatClient returns in-process for the same messages and options.
/// </summary>
public sealed class OpenAiClientTests
{
    public static TheoryData<string> Cases => ["plain", "length", "stop"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Chat_completion_matches_the_in_process_chat_client(string limit)
    {
        await using var host = await ServerHost.StartAsync();
        var (messages, options) = RandomConversation(new Random(), limit);
        IChatClient remote = OpenAiChatClient(host);

        ChatResponse expected = await host.Model.ChatClient.GetResponseAsync(messages, options.Clone());
        ChatResponse actual = await remote.GetResponseAsync(messages, options.Clone());

        AssertSameAnswer(expected, actual, messages, limit);
        AssertOptionsArrived(options, host.Model.LastOptions);
        Assert.Empty(host.Log.Errors);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Streamed_chat_completion_matches_the_in_process_chat_client(string limit)
    {
        await using var host = await ServerHost.StartAsync();
        var (messages, options) = RandomConversation(new Random(), limit);
        IChatClient remote = OpenAiChatClient(host);

        ChatResponse expected = await host.Model.ChatClient.GetResponseAsync(messages, options.Clone());
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in remote.GetStreamingResponseAsync(messages, options.Clone()))
            updates.Add(update);
        ChatResponse actual = updates.ToChatResponse();

        AssertSameAnswer(expected, actual, messages, limit);
        AssertOptionsArrived(options, host.Model.LastOptions);
        // Streamed means streamed: the text came in more than one update, as the model produced it.
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1 || expected.Text.Length <= 1,
            $"{updates.Count(u => u.Text.Length > 0)} text updates for '{expected.Text}'");
        Assert.Empty(host.Log.Errors);
    }

    [Fact]
    public async Task Model_list_names_the_served_model()
    {
        await using var host = await ServerHost.StartAsync(new FakeServedModel(id: $"model-{Guid.NewGuid():N}"));
        var openAi = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(host.Server.BaseAddress + "v1") });

        var models = (await openAi.GetOpenAIModelClient().GetModelsAsync()).Value;

        Assert.Equal(host.Model.Id, Assert.Single(models).Id);
    }

    [Fact]
    public async Task The_client_reports_the_servers_errors()
    {
        await using var host = await ServerHost.StartAsync(new FakeServedModel(contextLength: 64));
        var openAi = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(host.Server.BaseAddress + "v1") });

        var unknownModel = await Assert.ThrowsAsync<ClientResultException>(() =>
            openAi.GetChatClient("gpt-4o").AsIChatClient().GetResponseAsync("hello"));
        Assert.Equal(404, unknownModel.Status);
        Assert.Contains("model_not_found", unknownModel.Message);

        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() =>
            OpenAiChatClient(host).GetResponseAsync(new string('x', 100)));
        Assert.Equal(400, tooLong.Status);
        Assert.Contains("context holds 64", tooLong.Message);
        Assert.Equal(0, host.Model.Calls);
    }

    private static IChatClient OpenAiChatClient(ServerHost host)
    {
        var openAi = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(host.Server.BaseAddress + "v1") });
        return openAi.GetChatClient(host.Model.Id).AsIChatClient();
    }

    /// <summary>A system message, a past exchange and a random user message; options with random sampling values, and
    /// for "length" a token limit below the answer's length, for "stop" a stop sequence taken from inside the answer.</summary>
    private static (List<ChatMessage> Messages, ChatOptions Options) RandomConversation(Random random, string limit)
    {
        string user = FakeText.RandomText(random, 20, 60);
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, FakeText.RandomText(random, 5, 30)),
            new(ChatRole.User, FakeText.RandomText(random, 5, 30)),
            new(ChatRole.Assistant, FakeText.RandomText(random, 5, 30)),
            new(ChatRole.User, user),
        };
        var options = new ChatOptions
        {
            Temperature = (float)Math.Round(random.NextDouble() * 2, 2),
            TopP = (float)Math.Round(0.05 + random.NextDouble() * 0.95, 2),
            Seed = random.NextInt64(0, long.MaxValue),
        };
        string answer = FakeText.Reverse(user);
        if (limit == "length")
            options.MaxOutputTokens = random.Next(1, FakeText.Pieces(answer).Count);
        if (limit == "stop")
        {
            int at = random.Next(1, answer.Length - 3);
            options.StopSequences = [answer.Substring(at, 3)];
        }
        return (messages, options);
    }

    private static void AssertSameAnswer(ChatResponse expected, ChatResponse actual, List<ChatMessage> messages, string limit)
    {
        string user = messages[^1].Text;
        Assert.Equal(expected.Text, actual.Text);
        Assert.StartsWith(actual.Text, FakeText.Reverse(user));
        Assert.Equal(limit == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop, actual.FinishReason);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        if (limit == "plain")
            Assert.Equal(FakeText.Reverse(user), actual.Text);

        Assert.NotNull(actual.Usage);
        Assert.Equal(expected.Usage!.InputTokenCount, actual.Usage.InputTokenCount);
        Assert.Equal(expected.Usage.OutputTokenCount, actual.Usage.OutputTokenCount);
        Assert.Equal(expected.Usage.TotalTokenCount, actual.Usage.TotalTokenCount);
        Assert.Equal(FakeText.Pieces(actual.Text).Count, actual.Usage.OutputTokenCount);
    }

    private static void AssertOptionsArrived(ChatOptions sent, ChatOptions? received)
    {
        Assert.NotNull(received);
        Assert.Equal(sent.Temperature, received.Temperature);
        Assert.Equal(sent.TopP, received.TopP);
        Assert.Equal(sent.Seed, received.Seed);
        Assert.Equal(sent.MaxOutputTokens, received.MaxOutputTokens);
        Assert.Equal(sent.StopSequences ?? [], received.StopSequences ?? []);
    }
}
