namespace GqaGen.Llama.Chat;

/// <summary>A run of a formatted prompt's text: either the template's own text (role markers, control tokens,
/// separators) or a message's content.</summary>
/// <param name="Text">The characters of the run; never empty.</param>
/// <param name="IsContent">True for a message's content (after any trimming the format does), which
/// <see cref="ChatPrompt.Tokenize"/> never parses for control tokens; false for the template's text.</param>
public readonly record struct ChatPromptSegment(string Text, bool IsContent);
