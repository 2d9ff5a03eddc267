using System.Text.RegularExpressions;

namespace GqaGen.Synthetic;

/// <summary>Chat templates for synthetic models (<see cref="SyntheticLlamaSpec.ChatTemplate"/>), and the control
/// tokens a template needs in the vocabulary.</summary>
public static partial class SyntheticChatTemplates
{
    /// <summary>A ChatML template (the Jinja text ChatML models such as Qwen and OpenHermes ship): each message is
    /// <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>, and the generation prompt is
    /// <c>&lt;|im_start|&gt;assistant\n</c>. Its control tokens are <c>&lt;|im_start|&gt;</c> and <c>&lt;|im_end|&gt;</c>.</summary>
    public const string ChatML =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>The control tokens <paramref name="template"/> writes literally: every distinct
    /// <c>&lt;|name|&gt;</c> (letters, digits, underscores) in order of first appearance, e.g.
    /// <c>&lt;|im_start|&gt;</c> and <c>&lt;|im_end|&gt;</c> for <see cref="ChatML"/>, or
    /// <c>&lt;|start_header_id|&gt;</c>, <c>&lt;|end_header_id|&gt;</c> and <c>&lt;|eot_id|&gt;</c> for Llama 3's
    /// template. Empty for null.</summary>
    public static IReadOnlyList<string> ControlTokens(string? template)
    {
        if (template is null)
            return [];
        var tokens = new List<string>();
        foreach (Match match in ControlTokenPattern().Matches(template))
        {
            if (!tokens.Contains(match.Value))
                tokens.Add(match.Value);
        }
        return tokens;
    }

    [GeneratedRegex(@"<\|[A-Za-z0-9_]+\|>", RegexOptions.CultureInvariant)]
    private static partial Regex ControlTokenPattern();
}
