using System.Text.Json;
using GqaGen.Llama.Chat;

namespace GqaGen.Llama.Tests.Chat;

/// <summary>The prompts llama.cpp's legacy chat formatter made for each built-in name and template text
/// (Chat/Data/chat-templates.json, embedded; how it was made is in Chat/Data/README.md).</summary>
internal static class LlamaCppChatVectors
{
    private static readonly Lazy<Document> Data = new(Load);

    /// <summary>The names llama.cpp's <c>llama_chat_builtin_templates</c> listed, in its order.</summary>
    public static IReadOnlyList<string> BuiltinNames => Data.Value.BuiltinNames;

    public static IReadOnlyList<Conversation> Conversations => Data.Value.Conversations;

    public static IReadOnlyList<NameVectors> Names => Data.Value.Names;

    public static IReadOnlyList<TemplateVectors> Templates => Data.Value.Templates;

    public static Conversation FindConversation(string name) => Conversations.Single(c => c.Name == name);

    public static NameVectors FindName(string name) => Names.Single(n => n.Name == name);

    public static TemplateVectors FindTemplate(string id) => Templates.Single(t => t.Id == id);

    private static Document Load()
    {
        using Stream stream = typeof(LlamaCppChatVectors).Assembly.GetManifestResourceStream("chat-templates.json")
            ?? throw new InvalidOperationException("The embedded resource chat-templates.json is missing; see GqaGen.Llama.Tests.csproj.");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        Document document = JsonSerializer.Deserialize<Document>(stream, options)
            ?? throw new InvalidDataException("chat-templates.json is empty.");
        Assert.True(document.AddGenerationPrompt, "The vectors were made with the generation prompt added.");
        return document;
    }

    public sealed record Document(
        string LlamaCppCommit, bool AddGenerationPrompt, IReadOnlyList<string> BuiltinNames,
        IReadOnlyList<Conversation> Conversations, IReadOnlyList<NameVectors> Names, IReadOnlyList<TemplateVectors> Templates);

    public sealed record Message(string Role, string Content);

    public sealed record Conversation(string Name, IReadOnlyList<Message> Messages)
    {
        public IReadOnlyList<ChatTurn> Turns => [.. Messages.Select(m => new ChatTurn(m.Role, m.Content))];
    }

    /// <summary>llama.cpp's prompt for each conversation when the template is the built-in name <see cref="Name"/>.</summary>
    public sealed record NameVectors(string Name, IReadOnlyDictionary<string, string> Expected);

    /// <summary>A template text, the family llama.cpp detected (null: it refused the text, with <see cref="Error"/>)
    /// and its prompt for each conversation.</summary>
    public sealed record TemplateVectors(
        string Id, string Source, string Template, string? Family, IReadOnlyDictionary<string, string>? Expected, string? Error);
}
