namespace GqaGen.Llama.Chat;

/// <summary>One message of a conversation.</summary>
/// <param name="Role"><see cref="ChatRoles.System"/>, <see cref="ChatRoles.User"/> or <see cref="ChatRoles.Assistant"/>.</param>
/// <param name="Content">The message text, placed in the prompt as given (some formats trim its surrounding
/// whitespace, as llama.cpp's do).</param>
public sealed record ChatTurn(string Role, string Content);
