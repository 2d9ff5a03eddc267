using GqaGen.Llama.Chat;

namespace GqaGen.Llama.Tests.Chat;

/// <summary><see cref="ChatTemplate"/> against the prompts and detections llama.cpp (commit c392e5094) produced for
/// the same names, template texts and conversations (<see cref="LlamaCppChatVectors"/>).</summary>
public class LlamaCppTemplateVectorTests
{
    public static TheoryData<string, string> NamesAndConversations()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in LlamaCppChatVectors.Names)
            foreach (var conversation in LlamaCppChatVectors.Conversations)
                data.Add(name.Name, conversation.Name);
        return data;
    }

    public static TheoryData<string, string> TemplatesAndConversations()
    {
        var data = new TheoryData<string, string>();
        foreach (var template in LlamaCppChatVectors.Templates.Where(t => t.Family is not null))
            foreach (var conversation in LlamaCppChatVectors.Conversations)
                data.Add(template.Id, conversation.Name);
        return data;
    }

    public static TheoryData<string> TemplateIds() => [.. LlamaCppChatVectors.Templates.Select(t => t.Id)];

    [Fact]
    public void Names_are_llama_cpp_builtin_names_in_its_order()
    {
        Assert.Equal(LlamaCppChatVectors.BuiltinNames, ChatTemplate.Names);
        Assert.Equal(33, ChatTemplate.Names.Count);
    }

    [Theory]
    [MemberData(nameof(NamesAndConversations))]
    public void Built_in_name_formats_as_llama_cpp(string name, string conversation)
    {
        string expected = LlamaCppChatVectors.FindName(name).Expected[conversation];
        var turns = LlamaCppChatVectors.FindConversation(conversation).Turns;

        ChatPrompt prompt = ChatTemplate.FromName(name).Format(turns, addGenerationPrompt: true);

        Assert.Equal(expected, prompt.Text);
        Assert.Equal(expected, string.Concat(prompt.Segments.Select(s => s.Text)));
    }

    [Theory]
    [MemberData(nameof(TemplateIds))]
    public void Template_text_is_detected_as_llama_cpp_detects_it(string id)
    {
        var vectors = LlamaCppChatVectors.FindTemplate(id);

        bool found = ChatTemplate.TryDetect(vectors.Template, out ChatTemplate? template);

        if (vectors.Family is null)
        {
            Assert.False(found, $"llama.cpp refuses {id} ({vectors.Error}), but it was detected as {template}.");
            var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Detect(vectors.Template));
            Assert.Equal(vectors.Template, e.TemplateText);
        }
        else
        {
            Assert.True(found, $"llama.cpp detects {id} as {vectors.Family}, but no family was detected.");
            Assert.Equal(vectors.Family, template!.Name);
            Assert.Same(template, ChatTemplate.Detect(vectors.Template));
        }
    }

    [Theory]
    [MemberData(nameof(TemplatesAndConversations))]
    public void Template_text_formats_as_llama_cpp(string id, string conversation)
    {
        var vectors = LlamaCppChatVectors.FindTemplate(id);
        var turns = LlamaCppChatVectors.FindConversation(conversation).Turns;

        ChatPrompt prompt = ChatTemplate.Detect(vectors.Template).Format(turns);

        Assert.Equal(vectors.Expected![conversation], prompt.Text);
    }

    [Fact]
    public void Every_family_is_reached_by_some_template_text_and_some_text_is_refused()
    {
        var detected = LlamaCppChatVectors.Templates.Select(t => t.Family).OfType<string>().ToHashSet();
        Assert.All(ChatTemplate.Names, name => Assert.Contains(name, detected));
        Assert.Contains(LlamaCppChatVectors.Templates, t => t.Family is null);
    }

    [Fact]
    public void The_vectors_hold_one_user_turn_system_and_user_and_a_multi_turn_conversation()
    {
        // The (a), (b) and (c); the other conversations are edge cases.
        Assert.Equal(["user"], Roles("user"));
        Assert.Equal(["system", "user"], Roles("system_user"));
        Assert.Equal(["system", "user", "assistant", "user"], Roles("multi_turn"));

        static IEnumerable<string> Roles(string conversation) =>
            LlamaCppChatVectors.FindConversation(conversation).Messages.Select(m => m.Role);
    }
}
