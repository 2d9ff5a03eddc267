using Microsoft.Extensions.Logging;

namespace GqaGen.Server.Hosting;

/// <summary>The server's log messages (source-generated: no boxing, no parsing of templates at run time).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "GqaGen server listening on {Address}, serving '{Model}' (context {ContextLength} tokens); requests queue for the model")]
    public static partial void Listening(ILogger logger, Uri address, string model, int contextLength);

    [LoggerMessage(2, LogLevel.Information, "{Path}: {PromptTokens} prompt + {CompletionTokens} completion tokens, finish '{FinishReason}', {QueueMs} ms queued, {GenerationMs} ms generating{Streamed}")]
    public static partial void Completed(ILogger logger, string path, long promptTokens, long completionTokens, string finishReason, long queueMs, long generationMs, string streamed);

    [LoggerMessage(3, LogLevel.Information, "{Path}: the client went away {Where}; its request is cancelled")]
    public static partial void ClientGone(ILogger logger, string path, string where);

    [LoggerMessage(4, LogLevel.Information, "{Method} {Path}: {Status} {Code}: {Message}")]
    public static partial void Rejected(ILogger logger, string method, string path, int status, string? code, string message);

    [LoggerMessage(5, LogLevel.Error, "{Method} {Path}: unexpected error")]
    public static partial void Failed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(6, LogLevel.Error, "{Path}: the stream broke off after it started: {Message}")]
    public static partial void StreamFailed(ILogger logger, Exception exception, string path, string message);
}
