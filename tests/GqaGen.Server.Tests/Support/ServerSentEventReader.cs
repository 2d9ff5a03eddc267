using System.Text.Json;

namespace GqaGen.Server.Tests.Support;

/// <summary>Reads a server-sent event stream the way an OpenAI client does: <c>data: …</c> lines, events separated
/// by a blank line, ending at <c>data: [DONE]</c>.</summary>
internal sealed class ServerSentEventReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>True once <c>data: [DONE]</c> was read.</summary>
    public bool Done { get; private set; }

    /// <summary>The next event's data as JSON, or null at <c>[DONE]</c> or the end of the stream.</summary>
    public async Task<JsonElement?> NextAsync(CancellationToken cancellationToken = default)
    {
        string? data = null;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                    break;
                continue;
            }
            Assert.StartsWith("data: ", line);
            Assert.Null(data); // one data line per event: JSON never spans lines
            data = line["data: ".Length..];
        }
        if (data is null)
            return null;
        if (data == "[DONE]")
        {
            Done = true;
            return null;
        }
        return ServerHost.Json(data);
    }

    /// <summary>Every remaining event up to <c>[DONE]</c> (or the end of the stream).</summary>
    public async Task<List<JsonElement>> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var events = new List<JsonElement>();
        while (await NextAsync(cancellationToken) is { } next)
            events.Add(next);
        return events;
    }

    public void Dispose() => _reader.Dispose();
}
