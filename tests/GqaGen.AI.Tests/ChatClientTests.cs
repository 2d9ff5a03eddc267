using GqaGen.Llama;
using GqaGen.Llama.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace GqaGen.AI.Tests;

/// <summary>The in-process <see cref="IChatClient"/>: greedy replies equal the decoder's own generation on the
/// template's prompt, streamed and whole alike; the next turn reuses the cache; cancellation leaves it usable.</summary>
public sealed class ChatClientTests(ChatModelFixture fixture) : IClassFixture<ChatModelFixture>
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 12 };

    private static List<ChatMessage> Conversation(string question) =>
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, question),
    ];

    private GqaGenChatClient NewClient(GqaGenChatClientOptions? options = null) => new(fixture.Model, options);

    private IReadOnlyList<int> PromptTokens(IEnumerable<ChatMessage> messages) =>
        ChatTemplate.ForModel(fixture.Model).Format(messages.Select(m => new ChatTurn(m.Role.Value, m.Text)).ToList()).Tokenize(fixture.Model.Tokenizer);

    /// <summary>What the decoder generates greedily for the same prompt in a fresh session: the expected reply.</summary>
    private GenerationResult Reference(IEnumerable<ChatMessage> messages, int maxTokens)
    {
        var prompt = PromptTokens(messages);
        using var session = fixture.Model.CreateSession(fixture.Model.Config.ContextLength);
        return new TextGenerator(fixture.Model).GenerateAsync(session, prompt,
            new GenerationOptions { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy }).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Greedy_reply_equals_the_decoders_generation_on_the_templates_prompt()
    {
        using var client = NewClient();
        var messages = Conversation("Say something about foxes.");
        ChatResponse response = await client.GetResponseAsync(messages, Greedy);

        GenerationResult expected = Reference(messages, 12);
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.PromptTokens.Count, response.Usage!.InputTokenCount);
        Assert.Equal(expected.GeneratedTokens.Count, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal(expected.StopReason == StopReason.MaxTokens ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(client.ModelId, response.ModelId);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_in_pieces_and_ends_with_finish_reason_and_usage()
    {
        using var client = NewClient();
        var messages = Conversation("Tell me a story.");
        string whole = (await client.GetResponseAsync(messages, Greedy)).Text;

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, Greedy))
            updates.Add(update);

        Assert.True(updates.Count >= 2, $"{updates.Count} updates");
        Assert.Equal(whole, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
    }

    [Fact]
    public async Task The_next_turn_runs_only_the_tokens_after_what_the_cache_holds()
    {
        using var client = NewClient();
        var messages = Conversation("What is a fox?");
        ChatResponse first = await client.GetResponseAsync(messages, Greedy);
        Assert.Equal(0, first.Usage!.CachedInputTokenCount ?? 0);

        messages.AddRange(first.Messages);
        messages.Add(new ChatMessage(ChatRole.User, "And a dog?"));
        ChatResponse second = await client.GetResponseAsync(messages, Greedy);

        // The session holds the first prompt and the reply's tokens but the last (sampled, never run); the second
        // prompt shares with that its longest common prefix, and only the rest is run.
        GenerationResult turn1 = Reference(messages.Take(2), 12);
        int[] held = [.. turn1.PromptTokens, .. turn1.GeneratedTokens.Take(turn1.GeneratedTokens.Count - 1)];
        IReadOnlyList<int> prompt2 = PromptTokens(messages);
        int common = 0;
        while (common < held.Length && common < prompt2.Count - 1 && held[common] == prompt2[common])
            common++;
        Assert.True(common >= turn1.PromptTokens.Count, $"only {common} of the first prompt's {turn1.PromptTokens.Count} tokens lead the second prompt");
        Assert.Equal(prompt2.Count, second.Usage!.InputTokenCount);
        Assert.Equal(common, second.Usage.CachedInputTokenCount);

        // Reusing the cache changes nothing in the reply: a fresh client runs the whole prompt to the same text.
        using var fresh = NewClient();
        ChatResponse again = await fresh.GetResponseAsync(messages, Greedy);
        Assert.Equal(0, again.Usage!.CachedInputTokenCount ?? 0);
        Assert.Equal(again.Text, second.Text);
    }

    [Fact]
    public async Task A_request_cancelled_mid_stream_stops_and_the_client_stays_usable()
    {
        using var client = NewClient();
        var messages = Conversation("Count to twenty.");
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 40 };
        string expected = (await NewClient().GetResponseAsync(messages, options)).Text;

        using var cts = new CancellationTokenSource();
        int pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, options, cts.Token))
            {
                if (++pieces == 3)
                    cts.Cancel();
                Assert.True(pieces <= 3, "an update arrived after the request was cancelled");
            }
        });

        ChatResponse after = await client.GetResponseAsync(messages, options);
        Assert.Equal(expected, after.Text);
    }

    [Fact]
    public async Task A_request_cancelled_during_the_prompt_pass_yields_nothing_and_the_client_stays_usable()
    {
        using var client = NewClient();
        // A long prompt (most of the 2,048-token context: dozens of prefill chunks, tens of milliseconds) so that the
        // cancellation lands inside the prompt pass.
        string words = "the quick brown fox jumps over the lazy dog ";
        var messages = Conversation(string.Concat(Enumerable.Repeat(words, 1)));
        while (PromptTokens(Conversation(string.Concat(Enumerable.Repeat(words, 2)) + messages[1].Text)).Count < 1800)
            messages = Conversation(string.Concat(Enumerable.Repeat(words, 2)) + messages[1].Text);
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(TimeSpan.FromMilliseconds(2));
        int pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(messages, Greedy, cts.Token))
                pieces++;
        });
        Assert.Equal(0, pieces);

        ChatResponse after = await client.GetResponseAsync(messages, Greedy);
        Assert.Equal(Reference(messages, 12).Text, after.Text);
    }

    [Fact]
    public async Task Stop_sequences_and_max_output_tokens_set_the_finish_reason()
    {
        using var client = NewClient();
        var messages = Conversation("Go on.");
        ChatResponse longer = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        Assert.Equal(ChatFinishReason.Length, longer.FinishReason);
        Assert.Equal(30, longer.Usage!.OutputTokenCount);

        // Stop at a piece of text the model is known to produce (not at its start, so the reply is not empty).
        string text = longer.Text;
        Assert.True(text.Length >= 8, $"reply '{text}' too short to cut");
        string stop = text.Substring(text.Length / 2, 3);
        int cut = text.IndexOf(stop, StringComparison.Ordinal);
        ChatResponse stopped = await client.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [stop] });
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.Equal(text[..cut], stopped.Text);
    }

    [Fact]
    public async Task Seeded_sampling_repeats_and_greedy_ignores_the_seed()
    {
        using var client = NewClient();
        var messages = Conversation("Surprise me.");
        var sampled = new ChatOptions { Temperature = 1.0f, TopK = 50, TopP = 0.95f, Seed = 42, MaxOutputTokens = 16 };
        string a = (await client.GetResponseAsync(messages, sampled)).Text;
        string b = (await client.GetResponseAsync(messages, sampled)).Text;
        Assert.Equal(a, b);
        var others = new HashSet<string>();
        for (int seed = 1; seed <= 4; seed++)
            others.Add((await client.GetResponseAsync(messages, new ChatOptions { Temperature = 1.0f, Seed = seed, MaxOutputTokens = 16 })).Text);
        Assert.True(others.Count > 1, "four seeds gave one text");
    }

    [Fact]
    public async Task Concurrent_requests_queue_and_each_gets_its_own_reply()
    {
        using var client = NewClient();
        string[] questions = ["one", "two", "three", "four", "five", "six"];
        string[] expected = questions.Select(q => Reference(Conversation(q), 8).Text).ToArray();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8 };
        string[] replies = await Task.WhenAll(questions.Select(q => Task.Run(async () => (await client.GetResponseAsync(Conversation(q), options)).Text)));
        Assert.Equal(expected, replies);
    }

    [Fact]
    public async Task Bad_requests_are_argument_exceptions_that_say_what_is_wrong()
    {
        using var client = NewClient(new GqaGenChatClientOptions { ContextLength = 64 });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([]));
        Assert.Contains("no messages", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.Tool, "42")]));
        Assert.Contains("tool", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")])]));
        Assert.Contains("text only", e.Message);
        e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Conversation(string.Join(' ', Enumerable.Repeat("fox", 200)))));
        Assert.Contains("context holds 64", e.Message);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetResponseAsync(Conversation("hi"), new ChatOptions { TopP = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetResponseAsync(Conversation("hi"), new ChatOptions { MaxOutputTokens = 0 }));

        // None of them broke the client.
        Assert.False(string.IsNullOrEmpty((await client.GetResponseAsync(Conversation("hi"), new ChatOptions { Temperature = 0, MaxOutputTokens = 4 })).ResponseId));
    }

    [Fact]
    public async Task Instructions_join_the_system_message()
    {
        using var client = NewClient();
        string prompt = client.FormatPrompt(Conversation("hi"), new ChatOptions { Instructions = "Be brief." });
        Assert.Contains("<|im_start|>system\nBe brief.\n\nYou are a helpful assistant.<|im_end|>", prompt);
        prompt = client.FormatPrompt([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Instructions = "Be brief." });
        Assert.StartsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi", prompt);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Dependency_injection_registers_it_as_the_IChatClient_and_disposes_it()
    {
        var services = new ServiceCollection();
        services.AddGqaGenChatClient(fixture.Path, options: new GqaGenChatClientOptions { ModelId = "tiny" });
        GqaGenChatClient inner;
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<IChatClient>();
            inner = Assert.IsType<GqaGenChatClient>(client.GetService(typeof(GqaGenChatClient)));
            Assert.Equal("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
            ChatResponse response = await client.GetResponseAsync(Conversation("hi"), new ChatOptions { Temperature = 0, MaxOutputTokens = 4 });
            Assert.Equal("tiny", response.ModelId);
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(() => inner.GetResponseAsync(Conversation("hi")));
    }

    [Fact]
    public void A_model_without_a_chat_template_needs_one_given()
    {
        using var file = new TempGguf(GqaGen.Synthetic.SyntheticLlamaSpec.BuiltIn);
        using var model = LlamaModel.Load(file.Path);
        Assert.Throws<ChatTemplateException>(() => new GqaGenChatClient(model));
        using var client = new GqaGenChatClient(model, new GqaGenChatClientOptions { ChatTemplate = "chatml" });
        Assert.Equal("chatml", client.Template.Name);
    }
}
