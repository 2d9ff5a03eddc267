using GqaGen.Llama.Chat;
using Microsoft.Extensions.AI;

namespace GqaGen.AI;

/// <summary>Microsoft.Extensions.AI messages → the chat template's turns (text only: system, user, assistant).</summary>
internal static class ChatTurnConversion
{
    /// <summary>The turns of <paramref name="messages"/>, with <paramref name="instructions"/> (ChatOptions.Instructions)
    /// joined to the leading system message, or put first as one when there is none.</summary>
    /// <exception cref="ArgumentException">No messages; a role other than system, user or assistant; content that
    /// is not text (images, tool calls: these models read text only).</exception>
    public static List<ChatTurn> ToTurns(IEnumerable<ChatMessage> messages, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        int index = 0;
        foreach (ChatMessage message in messages)
        {
            if (message is null)
                throw new ArgumentException($"Message {index} is null.", nameof(messages));
            string role = RoleOf(message, index);
            foreach (AIContent content in message.Contents)
            {
                if (content is not TextContent)
                    throw new ArgumentException(
                        $"Message {index} ({role}) holds {content.GetType().Name}; GqaGen models read text only (TextContent).", nameof(messages));
            }
            turns.Add(new ChatTurn(role, message.Text));
            index++;
        }
        if (turns.Count == 0)
            throw new ArgumentException("The conversation has no messages; give at least one user message.", nameof(messages));

        if (!string.IsNullOrEmpty(instructions))
        {
            if (turns[0].Role == "system")
                turns[0] = turns[0] with { Content = instructions + "\n\n" + turns[0].Content };
            else
                turns.Insert(0, new ChatTurn("system", instructions));
        }
        return turns;
    }

    private static string RoleOf(ChatMessage message, int index)
    {
        if (message.Role == ChatRole.System) return "system";
        if (message.Role == ChatRole.User) return "user";
        if (message.Role == ChatRole.Assistant) return "assistant";
        throw new ArgumentException(
            $"Message {index} has role '{message.Role.Value}'; chat templates take system, user and assistant turns (no tools).", "messages");
    }
}
