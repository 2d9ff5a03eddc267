using GqaGen.Server.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GqaGen.Server.Hosting;

/// <summary>
/// The outermost handler: every failure becomes OpenAI's error object, so a client always gets JSON it can read and the
/// server keeps serving. A refused request (<see cref="InvalidRequestException"/>) gets its 4xx; an unknown path or
/// method gets 404 or 405 in the same shape; a request whose client went away ends quietly; anything else is logged and
/// answered 500.
/// </summary>
/// <remarks>It also makes <see cref="HttpContext.RequestAborted"/> fire when the server stops, so that a generation in
/// progress ends at once instead of holding up shutdown.</remarks>
internal sealed class ErrorHandlingMiddleware(ILogger logger, CancellationToken serverStopping)
{
    /// <summary>Runs <paramref name="next"/> for <paramref name="context"/> and answers its failures.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        CancellationToken clientGone = context.RequestAborted;
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(clientGone, serverStopping);
        context.RequestAborted = aborted.Token;
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        try
        {
            await next(context);
            if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null or 0)
                await WriteStatusErrorAsync(context);
        }
        catch (InvalidRequestException exception) when (!response.HasStarted)
        {
            ServerLog.Rejected(logger, request.Method, request.Path, exception.StatusCode, exception.Code, exception.Message);
            await JsonResponses.WriteAsync(response, exception.StatusCode, exception.ToResponse(),
                ServerJsonContext.Relaxed.ApiErrorResponse, CancellationToken.None);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away (nobody is left to answer) or the server is stopping (say so, if still possible).
            if (response.HasStarted)
            {
                // A stream cut short must not look complete: break the connection rather than end it cleanly.
                context.Abort();
            }
            else if (!clientGone.IsCancellationRequested)
            {
                await JsonResponses.WriteErrorAsync(response, StatusCodes.Status503ServiceUnavailable,
                    "The server is shutting down; the request was cancelled. Retry when it is back.", ApiError.ServerErrorType, null, "server_shutting_down");
            }
        }
        catch (Exception exception)
        {
            ServerLog.Failed(logger, exception, request.Method, request.Path);
            if (!response.HasStarted)
            {
                response.Clear();
                await JsonResponses.WriteErrorAsync(response, StatusCodes.Status500InternalServerError,
                    $"The server failed on this request ({exception.GetType().Name}: {exception.Message}). This is a bug "
                    + "of the server or the model, not of the request; the server goes on serving.",
                    ApiError.ServerErrorType, null, null);
            }
            else
            {
                // Part of the answer is sent; breaking the connection tells the client it is incomplete.
                context.Abort();
            }
        }
    }

    private static Task WriteStatusErrorAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        int status = context.Response.StatusCode;
        string message = status switch
        {
            StatusCodes.Status404NotFound =>
                $"Invalid URL ({request.Method} {request.Path}). This server answers POST /v1/chat/completions, "
                + "POST /v1/completions, GET /v1/models, GET /health and POST /apply-template.",
            StatusCodes.Status405MethodNotAllowed =>
                $"Method {request.Method} is not allowed on {request.Path}; use {context.Response.Headers.Allow}.",
            _ => $"The request failed with HTTP status {status}.",
        };
        return JsonResponses.WriteErrorAsync(context.Response, status, message,
            status >= 500 ? ApiError.ServerErrorType : InvalidRequestException.InvalidRequestType, null,
            status == StatusCodes.Status404NotFound ? "unknown_url" : null);
    }
}
