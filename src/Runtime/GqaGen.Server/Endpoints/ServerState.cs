using System.Diagnostics;
using GqaGen.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GqaGen.Server.Endpoints;

/// <summary>What every endpoint shares: the model, its queue, the options, the log and the clock.</summary>
/// <param name="Model">The served model.</param>
/// <param name="Queue">The model's request queue.</param>
/// <param name="Options">The server's options.</param>
/// <param name="Logger">The server's log.</param>
/// <param name="Time">The clock of <c>created</c> timestamps.</param>
internal sealed record ServerState(IServedModel Model, ModelQueue Queue, GqaGenServerOptions Options, ILogger Logger, TimeProvider Time)
{
    /// <summary>Unix seconds when the server was built: the <c>created</c> of the model in <c>/v1/models</c>.</summary>
    public long BuiltAt { get; } = Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Waits for the model's turn; a client that goes away meanwhile leaves the queue (logged).</summary>
    public async ValueTask<ModelQueue.Turn> EnterQueueAsync(HttpContext context)
    {
        try
        {
            return await Queue.EnterAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            ServerLog.ClientGone(Logger, context.Request.Path, "while queued for the model");
            throw;
        }
    }

    /// <summary>Logs the client's leaving during generation, for an exception filter (always false: the exception
    /// goes on to <see cref="ErrorHandlingMiddleware"/>).</summary>
    public bool LogIfClientGone(HttpContext context, Exception exception)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            ServerLog.ClientGone(Logger, context.Request.Path, "during generation");
        return false;
    }

    /// <summary>Logs a finished request.</summary>
    public void LogCompleted(HttpContext context, GenerationOutcome outcome, long queuedAt, long startedAt, bool streamed) =>
        ServerLog.Completed(Logger, context.Request.Path, outcome.Usage.PromptTokens, outcome.Usage.CompletionTokens,
            outcome.FinishReason, (long)Stopwatch.GetElapsedTime(queuedAt, startedAt).TotalMilliseconds,
            (long)Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds, streamed ? ", streamed" : "");
}
