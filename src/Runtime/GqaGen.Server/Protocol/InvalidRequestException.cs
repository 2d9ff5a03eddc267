using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Protocol;

/// <summary>
/// A request the server refuses, as the 4xx answer it becomes: OpenAI's error object
/// <c>{"error":{"message","type":"invalid_request_error","param","code"}}</c> with <see cref="StatusCode"/>.
/// </summary>
/// <param name="statusCode">The HTTP status, 400–499.</param>
/// <param name="message">What is wrong, naming the field and the value, what was expected and how to fix it.</param>
/// <param name="param">The field at fault as a path (<c>messages[2].content[0].type</c>), or null for the whole request.</param>
/// <param name="code">OpenAI's machine-readable error code (<c>invalid_type</c>, <c>model_not_found</c>…), or null.</param>
internal sealed class InvalidRequestException(int statusCode, string message, string? param = null, string? code = null)
    : Exception(message)
{
    /// <summary>OpenAI's error type for a request the client must fix.</summary>
    public const string InvalidRequestType = "invalid_request_error";

    /// <summary>The HTTP status of the answer.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The field at fault, or null.</summary>
    public string? Param { get; } = param;

    /// <summary>OpenAI's error code, or null.</summary>
    public string? Code { get; } = code;

    /// <summary>The error body sent to the client.</summary>
    public ApiErrorResponse ToResponse() => new(new ApiError(Message, InvalidRequestType, Param, Code));

    /// <summary>A 400 for input the model side rejected (the <see cref="IServedModel"/> contract's
    /// <see cref="ArgumentException"/>), its message passed on and its parameter as the error's <c>param</c>.</summary>
    public static InvalidRequestException RejectedByModel(ArgumentException exception) =>
        new(StatusCodes.Status400BadRequest, exception.Message, exception.ParamName, "invalid_value");
}
