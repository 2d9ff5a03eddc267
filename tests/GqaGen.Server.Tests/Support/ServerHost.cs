using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GqaGen.Server.Tests.Support;

/// <summary>A real <see cref="GqaGenServer"/> on a free loopback port (port 0) over a <see cref="FakeServedModel"/>,
/// with an <see cref="HttpClient"/> for it and the server's log captured.</summary>
internal sealed class ServerHost : IAsyncDisposable
{
    /// <summary>How long any single wait in a test may take before the test fails: generous, for a loaded 2-core machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private ServerHost(GqaGenServer server, FakeServedModel model, CapturedLog log)
    {
        Server = server;
        Model = model;
        Log = log;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Patience };
    }

    public GqaGenServer Server { get; }

    public FakeServedModel Model { get; }

    public CapturedLog Log { get; }

    public HttpClient Http { get; }

    public static async Task<ServerHost> StartAsync(FakeServedModel? model = null, GqaGenServerOptions? options = null)
    {
        model ??= new FakeServedModel();
        var log = new CapturedLog();
        options = (options ?? new GqaGenServerOptions()) with
        {
            Port = 0,
            ConfigureLogging = logging => logging.ClearProviders().AddProvider(log).SetMinimumLevel(LogLevel.Information),
        };
        GqaGenServer server = await GqaGenServer.StartAsync(model, options);
        return new ServerHost(server, model, log);
    }

    /// <summary>POSTs <paramref name="json"/> and reads the whole answer.</summary>
    public async Task<(int Status, string Body)> PostAsync(string path, string json, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await Http.PostAsync(path, content, cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>POSTs raw bytes (for bodies that are not valid UTF-8).</summary>
    public async Task<(int Status, string Body)> PostBytesAsync(string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await Http.PostAsync(path, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POSTs <paramref name="json"/> and returns the response as soon as its headers are in, for streaming.</summary>
    public async Task<HttpResponseMessage> PostStreamingAsync(string path, string json, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, checking often; fails the test after <see cref="Patience"/>.
    /// For server state no event announces (a request joining the queue), never as a sleep standing in for one.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {Patience.TotalSeconds} s waiting until {what}.");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Parses a JSON body, failing with the body in the message if it is not JSON.</summary>
    public static JsonElement Json(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException exception)
        {
            throw new Xunit.Sdk.XunitException($"Not JSON ({exception.Message}): {body}");
        }
    }
}
