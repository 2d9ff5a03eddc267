using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GqaGen.Server.Protocol;

/// <summary>
/// Source-generated serialization of every response body (no reflection: trimming- and AOT-friendly), in OpenAI's
/// snake_case. Requests are read with <see cref="JsonDocument"/> instead (see <see cref="RequestJson"/>), which lets
/// each error name the field at fault.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ApiErrorResponse))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(AppliedTemplate))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the server writes with: as <see cref="JsonSerializerContext"/>'s default, but with relaxed escaping
    /// so that a chat template's <c>&lt;|im_start|&gt;</c> or a non-ASCII letter reads as itself rather than as
    /// <c>\u003C</c>; the bodies are JSON for API clients, never embedded in HTML.
    /// </summary>
    public static ServerJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
