namespace GqaGen.Server.Protocol;

/// <summary>OpenAI's error body: <c>{"error": {...}}</c>.</summary>
/// <param name="Error">The error.</param>
internal sealed record ApiErrorResponse(ApiError Error);

/// <summary>OpenAI's error object. <c>param</c> and <c>code</c> are always written, null when they do not apply, as
/// OpenAI writes them.</summary>
/// <param name="Message">What is wrong and how to fix it.</param>
/// <param name="Type"><c>invalid_request_error</c> for a 4xx, <c>server_error</c> for a 5xx.</param>
/// <param name="Param">The field at fault, e.g. <c>messages[0].role</c>.</param>
/// <param name="Code">A machine-readable code, e.g. <c>model_not_found</c>.</param>
internal sealed record ApiError(string Message, string Type, string? Param, string? Code)
{
    /// <summary>OpenAI's error type for a failure on the server's side.</summary>
    public const string ServerErrorType = "server_error";
}
