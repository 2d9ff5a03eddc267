using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace GqaGen.Server.Protocol;

/// <summary>
/// Writes a streamed answer as server-sent events the way OpenAI streams: one <c>data: {json}</c> event per chunk, each
/// flushed at once so the client sees text as it is generated, and <c>data: [DONE]</c> at the end.
/// </summary>
internal sealed class ServerSentEvents(HttpResponse response)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the status and headers: 200, <c>text/event-stream</c>, not cached.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Reverse proxies such as nginx buffer responses unless told not to, which would hold back every event.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellationToken);
    }

    /// <summary>Sends one event whose data is <paramref name="json"/> (JSON holds no raw line breaks, so one line).</summary>
    public async Task WriteAsync(byte[] json, CancellationToken cancellationToken)
    {
        var writer = response.BodyWriter;
        writer.Write(DataPrefix);
        writer.Write(json);
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Sends <c>data: [DONE]</c>, the end of the stream.</summary>
    public async Task WriteDoneAsync(CancellationToken cancellationToken)
    {
        response.BodyWriter.Write(Done);
        await response.BodyWriter.FlushAsync(cancellationToken);
    }
}
