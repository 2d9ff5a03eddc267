using System.Diagnostics.CodeAnalysis;

namespace GqaGen.Llama.Chat;

/// <summary>
/// A model's chat prompt format, chosen and applied as llama.cpp's legacy <c>llama_chat_apply_template</c> does
/// (llama-chat.cpp, commit c392e5094): the template text from the GGUF (<c>tokenizer.chat_template</c>) is never run
/// as Jinja; it is searched for the markers of 33 known formats, or names one of them (<see cref="Names"/>), and that
/// format is written by hand-coded rules. The prompts are identical, character for character, to llama.cpp's.
/// </summary>
/// <remarks>
/// <para>Like llama.cpp, this reproduces the common shape of each family, not every detail of a model's own
/// template: a template's default system prompt, its checks that roles alternate, or its BOS token are not
/// reproduced (BOS comes from the tokenizer, see <see cref="ChatPrompt.Tokenize"/>).</para>
/// <para>Instances are immutable and shared; use them from any thread.</para>
/// </remarks>
public sealed class ChatTemplate
{
    /// <summary>The GGUF metadata key of a model's chat template, as llama.cpp names it
    /// (<c>LLM_KV_TOKENIZER_CHAT_TEMPLATE</c>).</summary>
    public const string MetadataKey = "tokenizer.chat_template";

    private static readonly ChatTemplate[] ByFamily =
        [.. Enum.GetValues<ChatFamily>().Select(family => new ChatTemplate(family))];

    private readonly ChatFamily _family;

    private ChatTemplate(ChatFamily family)
    {
        _family = family;
        Name = ChatFamilyNames.Name(family);
    }

    /// <summary>llama.cpp's name of the format (<c>"chatml"</c>, <c>"llama3"</c>, <c>"mistral-v7"</c>, ...), one of
    /// <see cref="Names"/>.</summary>
    public string Name { get; }

    /// <summary>Every name <see cref="FromName"/> accepts, in ordinal order: the built-in templates of llama.cpp's
    /// <c>llama_chat_builtin_templates</c> (and its <c>--chat-template</c> option) at commit c392e5094.</summary>
    public static IReadOnlyList<string> Names => ChatFamilyNames.All;

    /// <summary>The format llama.cpp picks for <paramref name="templateText"/>: the named one if the text is exactly a
    /// name in <see cref="Names"/>, otherwise the first family whose markers the text contains, in llama.cpp's order.</summary>
    /// <param name="templateText">A model's Jinja chat template, or a built-in name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="templateText"/> is null.</exception>
    /// <exception cref="ChatTemplateException">No family's markers are in the text; the message lists the families
    /// tried, with their markers.</exception>
    public static ChatTemplate Detect(string templateText)
    {
        if (TryDetect(templateText, out ChatTemplate? template))
            return template;
        throw new ChatTemplateException(
            $"The chat template {Describe(templateText)} is not one llama.cpp's built-in formatter recognises. {Tried()} {HowToChoose()}",
            templateText);
    }

    /// <summary>As <see cref="Detect"/>, but returns false instead of throwing when no family matches.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="templateText"/> is null.</exception>
    public static bool TryDetect(string templateText, [NotNullWhen(true)] out ChatTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(templateText);
        ChatFamily? family = ChatTemplateDetector.Detect(templateText);
        template = family is ChatFamily f ? ByFamily[(int)f] : null;
        return template is not null;
    }

    /// <summary>The format called <paramref name="name"/> (exactly, case-sensitive, as llama.cpp compares).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not in <see cref="Names"/>; the message lists them.</exception>
    public static ChatTemplate FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!ChatFamilyNames.TryParse(name, out ChatFamily family))
            throw new ArgumentException(
                $"\"{name}\" is not a built-in chat template name; expected one of: {string.Join(", ", Names)}.", nameof(name));
        return ByFamily[(int)family];
    }

    /// <summary>The format for <paramref name="model"/>: detected from <paramref name="templateOverride"/> when one
    /// is given (a template text, such as the contents of a <c>--chat-template-file</c>, or a built-in name, as
    /// llama-server's <c>--chat-template</c> accepts), otherwise from the model's own <c>tokenizer.chat_template</c>
    /// (<see cref="LlamaModel.ChatTemplateText"/>).</summary>
    /// <param name="model">The loaded model.</param>
    /// <param name="templateOverride">A template text or built-in name to use instead of the model's; null or empty
    /// for the model's own.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ChatTemplateException">The model has no template and no override was given (llama.cpp would
    /// silently fall back to ChatML; this library asks you to choose), or the template is not recognised.</exception>
    public static ChatTemplate ForModel(LlamaModel model, string? templateOverride = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!string.IsNullOrEmpty(templateOverride))
        {
            if (TryDetect(templateOverride, out ChatTemplate? chosen))
                return chosen;
            throw new ChatTemplateException(
                $"The chat template given in place of the model's, {Describe(templateOverride)}, is not one llama.cpp's built-in formatter recognises. {Tried()} {HowToChoose()}",
                templateOverride);
        }

        string modelName = model.Name is null ? "The model" : $"The model \"{model.Name}\"";
        string? text = model.ChatTemplateText;
        if (string.IsNullOrEmpty(text))
            throw new ChatTemplateException(
                $"{modelName} has no chat template (its GGUF has no '{MetadataKey}' string), and no template was given. {HowToChoose()}");
        if (TryDetect(text, out ChatTemplate? own))
            return own;
        throw new ChatTemplateException(
            $"{modelName}'s chat template ('{MetadataKey}'), {Describe(text)}, is not one llama.cpp's built-in formatter recognises. {Tried()} {HowToChoose()}",
            text);
    }

    /// <summary>Formats <paramref name="messages"/> as a prompt in this format, exactly as llama.cpp's
    /// <c>llama_chat_apply_template</c> does for the same messages.</summary>
    /// <param name="messages">The conversation, oldest first; roles <c>"system"</c>, <c>"user"</c> or
    /// <c>"assistant"</c> in any order (each format places them as llama.cpp does, e.g. Gemma folds the system message
    /// into the next user turn).</param>
    /// <param name="addGenerationPrompt">Whether to end with the opening of an assistant turn, so that the model
    /// answers (llama.cpp's <c>add_ass</c>). Formats without such an opening (Llama 2, Mistral, Orion, MiniCPM,
    /// RWKV World) ignore it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty, or a message is null, has a role other than system, user
    /// or assistant, or has null content; the message names the index and the value.</exception>
    public ChatPrompt Format(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
            throw new ArgumentException("The conversation has no messages; give at least one (usually a user message).", nameof(messages));
        for (int i = 0; i < messages.Count; i++)
        {
            ChatTurn? message = messages[i];
            if (message is null)
                throw new ArgumentException($"Message {i} is null.", nameof(messages));
            if (!ChatRoles.IsKnown(message.Role))
                throw new ArgumentException(
                    $"Message {i} has role {(message.Role is null ? "null" : $"\"{message.Role}\"")}; the allowed roles are \"{ChatRoles.System}\", \"{ChatRoles.User}\" and \"{ChatRoles.Assistant}\".",
                    nameof(messages));
            if (message.Content is null)
                throw new ArgumentException($"Message {i} ({message.Role}) has null content; use \"\" for an empty message.", nameof(messages));
        }

        var prompt = new ChatPromptBuilder();
        ChatFormatter.Format(_family, messages, addGenerationPrompt, prompt);
        return prompt.Build();
    }

    /// <summary>The format's <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    private static string Tried() =>
        $"It looks for a built-in name, then for these families' markers, in this order: {string.Join("; ", ChatTemplateDetector.CheckOrder)}.";

    private static string HowToChoose() =>
        $"Give the name of the format the model was trained with instead of the template text (one of {string.Join(", ", Names)}), e.g. \"chatml\".";

    /// <summary>The template in quotes, shortened to its first 80 characters on one line.</summary>
    private static string Describe(string text)
    {
        const int limit = 80;
        string line = text.ReplaceLineEndings("\\n");
        return line.Length <= limit ? $"\"{line}\"" : $"\"{line[..limit]}...\" ({text.Length} characters)";
    }
}
