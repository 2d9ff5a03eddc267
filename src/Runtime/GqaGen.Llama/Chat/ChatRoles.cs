namespace GqaGen.Llama.Chat;

/// <summary>The message roles <see cref="ChatTemplate.Format"/> accepts, spelled as llama.cpp and the OpenAI API
/// spell them.</summary>
public static class ChatRoles
{
    /// <summary><c>"system"</c>: instructions for the whole conversation.</summary>
    public const string System = "system";

    /// <summary><c>"user"</c>: what the person said.</summary>
    public const string User = "user";

    /// <summary><c>"assistant"</c>: what the model said.</summary>
    public const string Assistant = "assistant";

    /// <summary>Every role <see cref="ChatTemplate.Format"/> accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [System, User, Assistant];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="All"/> (compared exactly, as llama.cpp does).</summary>
    public static bool IsKnown(string? role) => role is System or User or Assistant;
}
