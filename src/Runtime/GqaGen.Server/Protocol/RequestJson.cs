using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Protocol;

/// <summary>
/// Reads a request body into a <see cref="JsonDocument"/>, and the type checks every field reader shares. Each error
/// names the field by its path (<c>messages[1].content[0].text</c>), as OpenAI's errors do, so a client sees at once
/// which value to fix.
/// </summary>
internal static class RequestJson
{
    /// <summary>Reads the body as one JSON object. Unknown members are left for the caller to ignore, as OpenAI
    /// ignores them.</summary>
    /// <exception cref="InvalidRequestException">The body is not JSON, not an object, or larger than the limit.</exception>
    public static async Task<JsonDocument> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException exception)
        {
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"The request body is not valid JSON: {exception.Message} Send one JSON object, e.g. "
                + """{"messages": [{"role": "user", "content": "Hello"}]}, with Content-Type: application/json.""",
                code: "invalid_json");
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new InvalidRequestException(StatusCodes.Status413PayloadTooLarge,
                "The request body is larger than the server accepts (GqaGenServerOptions.MaxRequestBodyBytes); send a "
                + "shorter prompt, or start the server with a larger limit.",
                code: "request_too_large");
        }
        catch (BadHttpRequestException exception)
        {
            throw new InvalidRequestException(exception.StatusCode, $"The request body could not be read: {exception.Message}");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            string kind = KindOf(document.RootElement);
            document.Dispose();
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"The request body must be a JSON object, but it is {kind}; send e.g. "
                + """{"messages": [{"role": "user", "content": "Hello"}]}.""",
                code: "invalid_type");
        }
        return document;
    }

    /// <summary>The member <paramref name="name"/> of <paramref name="obj"/>, or false when it is absent or null
    /// (OpenAI treats an explicit null as "not given").</summary>
    public static bool TryGetMember(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>The member's text, for a member that must be a string.</summary>
    public static string GetString(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw WrongType(path, "a string", value);
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // JSON allows escapes such as "\ud800" that are no valid UTF-16; .NET refuses to make a string of them.
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': the string is not valid Unicode text (a lone surrogate escape such as \\ud800, or "
                + "invalid UTF-8 bytes); send UTF-8 text.",
                path, "invalid_value");
        }
    }

    /// <summary>The member as a finite number.</summary>
    public static double GetNumber(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Number)
            throw WrongType(path, "a number", value);
        if (!value.TryGetDouble(out double number) || !double.IsFinite(number))
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': {value.GetRawText()} is out of range for a number.", path, "invalid_value");
        return number;
    }

    /// <summary>The member as a whole number within <paramref name="min"/>..<paramref name="max"/>;
    /// <paramref name="hint"/> tells the client what to send instead.</summary>
    public static long GetInteger(JsonElement value, string path, long min, long max, string hint)
    {
        if (value.ValueKind != JsonValueKind.Number)
            throw WrongType(path, "an integer", value);
        if (!value.TryGetInt64(out long number))
        {
            // Either not whole (1.5) or beyond 64 bits (1e30): either way, out of the accepted range.
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': expected an integer from {min} to {max}, but got {value.GetRawText()}. {hint}",
                path, "invalid_value");
        }
        if (number < min)
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': {number} is below the minimum, {min}. {hint}", path, "integer_below_min_value");
        if (number > max)
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"Invalid '{path}': {number} is above the maximum, {max}. {hint}", path, "integer_above_max_value");
        return number;
    }

    /// <summary>The member as true or false.</summary>
    public static bool GetBoolean(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw WrongType(path, "a boolean", value),
    };

    /// <summary>The 400 for a member of the wrong JSON type, OpenAI's <c>invalid_type</c>.</summary>
    public static InvalidRequestException WrongType(string path, string expected, JsonElement got) =>
        new(StatusCodes.Status400BadRequest,
            $"Invalid type for '{path}': expected {expected}, but got {KindOf(got)} instead.", path, "invalid_type");

    /// <summary>The 400 for a required member that is absent or null, OpenAI's <c>missing_required_parameter</c>.</summary>
    public static InvalidRequestException Missing(string path, string example) =>
        new(StatusCodes.Status400BadRequest,
            $"Missing required parameter: '{path}'. Add it, e.g. {example}.", path, "missing_required_parameter");

    /// <summary>"a string", "an array"…, with a short excerpt of the value, for error messages.</summary>
    public static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"a string ({Excerpt(value.GetRawText())})",
        JsonValueKind.Number => $"a number ({Excerpt(value.GetRawText())})",
        JsonValueKind.True or JsonValueKind.False => $"a boolean ({value.GetRawText()})",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    private static string Excerpt(string raw) => raw.Length <= 40 ? raw : raw[..37] + "…";
}
