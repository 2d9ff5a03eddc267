using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Hosting;

/// <summary>Writes JSON bodies with the source-generated <see cref="ServerJsonContext"/>.</summary>
internal static class JsonResponses
{
    /// <summary>Writes <paramref name="value"/> as the whole response, with <paramref name="statusCode"/>.</summary>
    public static async Task WriteAsync<T>(HttpResponse response, int statusCode, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }

    /// <summary>Writes OpenAI's error object with <paramref name="statusCode"/>.</summary>
    public static Task WriteErrorAsync(HttpResponse response, int statusCode, string message, string type, string? param, string? code) =>
        WriteAsync(response, statusCode, new ApiErrorResponse(new ApiError(message, type, param, code)),
            ServerJsonContext.Relaxed.ApiErrorResponse, CancellationToken.None);
}
