using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace GqaGen.Server.Protocol;

/// <summary>
/// Reads OpenAI's <c>messages</c> array into <see cref="ChatMessage"/>s: roles system (or its newer name, developer),
/// user and assistant; content a string or an array of <c>{"type": "text", "text": …}</c> parts.
/// </summary>
internal static class ChatMessagesReader
{
    private const string Example = "\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]";

    /// <summary>The messages of <paramref name="body"/>'s <c>messages</c> member.</summary>
    /// <exception cref="InvalidRequestException">The member is missing, empty, or a message is malformed.</exception>
    public static List<ChatMessage> Read(JsonElement body)
    {
        if (!RequestJson.TryGetMember(body, "messages", out JsonElement array))
            throw RequestJson.Missing("messages", Example);
        if (array.ValueKind != JsonValueKind.Array)
            throw RequestJson.WrongType("messages", "an array of messages", array);
        if (array.GetArrayLength() == 0)
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid 'messages': empty array. Send at least one message, e.g. {Example}.", "messages", "empty_array");

        var messages = new List<ChatMessage>(array.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
            messages.Add(ReadMessage(item, $"messages[{index++}]"));
        return messages;
    }

    private static ChatMessage ReadMessage(JsonElement item, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
            throw RequestJson.WrongType(path, """a message object ({"role": …, "content": …})""", item);

        if (!RequestJson.TryGetMember(item, "role", out JsonElement roleValue))
            throw RequestJson.Missing($"{path}.role", "\"role\": \"user\"");
        ChatRole role = ReadRole(RequestJson.GetString(roleValue, $"{path}.role"), $"{path}.role");

        if (!RequestJson.TryGetMember(item, "content", out JsonElement content))
            throw RequestJson.Missing($"{path}.content", "\"content\": \"Hello\"");
        var message = new ChatMessage(role, ReadContent(content, $"{path}.content"));

        if (RequestJson.TryGetMember(item, "name", out JsonElement name))
            message.AuthorName = RequestJson.GetString(name, $"{path}.name");
        return message;
    }

    private static ChatRole ReadRole(string role, string path) => role switch
    {
        "system" or "developer" => ChatRole.System,
        "user" => ChatRole.User,
        "assistant" => ChatRole.Assistant,
        "tool" or "function" => throw new InvalidRequestException(StatusCodes.Status400BadRequest,
            $"Invalid value for '{path}': '{role}'. This server does no tool calling, so it takes only 'system', "
            + "'developer', 'user' and 'assistant' messages.", path, "unsupported_value"),
        _ => throw new InvalidRequestException(StatusCodes.Status400BadRequest,
            $"Invalid value for '{path}': '{Shorten(role)}'. Supported values are 'system', 'developer' (read as "
            + "'system'), 'user' and 'assistant'.", path, "invalid_value"),
    };

    private static List<AIContent> ReadContent(JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
            return [new TextContent(RequestJson.GetString(content, path))];
        if (content.ValueKind != JsonValueKind.Array)
            throw RequestJson.WrongType(path, """a string or an array of content parts ([{"type": "text", "text": …}])""", content);
        if (content.GetArrayLength() == 0)
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': empty array. Give the text as a string, or as at least one part "
                + """{"type": "text", "text": …}.""", path, "empty_array");

        var parts = new List<AIContent>(content.GetArrayLength());
        int index = 0;
        foreach (JsonElement part in content.EnumerateArray())
            parts.Add(ReadPart(part, $"{path}[{index++}]"));
        return parts;
    }

    private static TextContent ReadPart(JsonElement part, string path)
    {
        if (part.ValueKind != JsonValueKind.Object)
            throw RequestJson.WrongType(path, """a content part ({"type": "text", "text": …})""", part);
        if (!RequestJson.TryGetMember(part, "type", out JsonElement typeValue))
            throw RequestJson.Missing($"{path}.type", "\"type\": \"text\"");
        string type = RequestJson.GetString(typeValue, $"{path}.type");
        if (type != "text")
        {
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid value for '{path}.type': '{Shorten(type)}'. This server reads text only: send parts of type "
                + "'text' (images, audio and files are not supported).", $"{path}.type", "invalid_value");
        }
        if (!RequestJson.TryGetMember(part, "text", out JsonElement text))
            throw RequestJson.Missing($"{path}.text", "\"text\": \"Hello\"");
        return new TextContent(RequestJson.GetString(text, $"{path}.text"));
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..37] + "…";
}
