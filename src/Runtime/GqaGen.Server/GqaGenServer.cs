using System.Net;
using GqaGen.Server.Endpoints;
using GqaGen.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GqaGen.Server;

/// <summary>
/// An OpenAI-compatible HTTP server for one <see cref="IServedModel"/>: <c>POST /v1/chat/completions</c> and
/// <c>POST /v1/completions</c> (whole or streamed as server-sent events), <c>GET /v1/models</c>, <c>GET /health</c> and
/// llama-server's <c>POST /apply-template</c>, on Kestrel with minimal APIs. Requests queue for the model: one
/// generation at a time, first come first served; a client that closes its connection cancels its request, queued or
/// generating. Listens on 127.0.0.1 (this machine only) unless told otherwise.
/// </summary>
/// <example>
/// <code>
/// await using var server = await GqaGenServer.StartAsync(model, new GqaGenServerOptions { Port = 8080 });
/// Console.WriteLine($"Serving {model.Id} at {server.BaseAddress}v1");
/// await server.WaitForShutdownAsync();   // until Ctrl+C
/// </code>
/// </example>
public sealed class GqaGenServer : IAsyncDisposable
{
    private readonly ModelQueue _queue;
    private readonly ILogger _logger;
    private readonly IServedModel _model;
    private Uri? _baseAddress;

    private GqaGenServer(WebApplication application, IServedModel model, ModelQueue queue, ILogger logger)
    {
        Application = application;
        _model = model;
        _queue = queue;
        _logger = logger;
    }

    /// <summary>The ASP.NET Core application: its services, its lifetime, or more endpoints before it starts.</summary>
    public WebApplication Application { get; }

    /// <summary>The address the server answers on, e.g. <c>http://127.0.0.1:8080/</c> (with the port the system chose
    /// when <see cref="GqaGenServerOptions.Port"/> is 0); OpenAI clients take <c>BaseAddress + "v1"</c> as their endpoint.</summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public Uri BaseAddress => _baseAddress
        ?? throw new InvalidOperationException("The server is not listening yet; call StartAsync first, then read BaseAddress.");

    /// <summary>Requests waiting for the model (not counting the one generating).</summary>
    internal int QueuedRequests => _queue.Waiting;

    /// <summary>Whether a request holds the model now.</summary>
    internal bool IsGenerating => _queue.IsBusy;

    /// <summary>Builds a server for <paramref name="model"/>; call <see cref="StartAsync(CancellationToken)"/> to listen.</summary>
    /// <exception cref="ArgumentException"><see cref="GqaGenServerOptions.Host"/> is not an IP address or <c>localhost</c>.</exception>
    public static GqaGenServer Create(IServedModel model, GqaGenServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new GqaGenServerOptions();
        IPAddress address = ParseHost(options.Host);

        // The empty builder reads no appsettings.json, environment variables or command line: the server's behaviour
        // is its options and nothing found lying around the working directory.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "GqaGen.Server" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port);
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        if (options.ConfigureLogging is { } configureLogging)
        {
            configureLogging(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("GqaGen.Server", LogLevel.Information);
        }

        WebApplication application = builder.Build();
        ILogger logger = application.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GqaGen.Server");
        var queue = new ModelQueue();
        var state = new ServerState(model, queue, options, logger, TimeProvider.System);

        var errors = new ErrorHandlingMiddleware(logger, application.Lifetime.ApplicationStopping);
        application.Use(errors.InvokeAsync);
        application.UseRouting();
        MapEndpoints(application, state);
        return new GqaGenServer(application, model, queue, logger);
    }

    /// <summary>Builds a server for <paramref name="model"/> and starts it.</summary>
    /// <exception cref="IOException">The address or port is taken (Kestrel's message names it).</exception>
    public static async Task<GqaGenServer> StartAsync(IServedModel model, GqaGenServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        GqaGenServer server = Create(model, options);
        try
        {
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts listening; <see cref="BaseAddress"/> then holds the bound address.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Application.StartAsync(cancellationToken);
        var addresses = Application.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        _baseAddress = new Uri(addresses.Addresses.First().TrimEnd('/') + "/");
        ServerLog.Listening(_logger, _baseAddress, _model.Id, _model.ContextLength);
    }

    /// <summary>Stops listening; generations in progress are cancelled.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => Application.StopAsync(cancellationToken);

    /// <summary>Completes when the server shuts down: <see cref="StopAsync"/>, Ctrl+C or SIGTERM.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => Application.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the server if it runs (cancelling a generation in progress) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        // Disposing alone would close the connections without signalling ApplicationStopping; stopping first lets
        // each request end through its cancellation, as on Ctrl+C.
        if (_baseAddress is not null)
            await Application.StopAsync();
        await Application.DisposeAsync();
        _queue.Dispose();
    }

    private static void MapEndpoints(WebApplication application, ServerState state)
    {
        var chat = new ChatCompletionsEndpoint(state);
        var completions = new CompletionsEndpoint(state);
        var info = new InfoEndpoints(state);
        var template = new ApplyTemplateEndpoint(state);
        application.MapPost("/v1/chat/completions", chat.HandleAsync);
        application.MapPost("/v1/completions", completions.HandleAsync);
        application.MapGet("/v1/models", info.ListAsync);
        application.MapGet("/v1/models/{id}", info.GetAsync);
        application.MapGet("/health", info.HealthAsync);
        application.MapPost("/apply-template", template.HandleAsync);
    }

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        return IPAddress.TryParse(host, out IPAddress? address) ? address
            : throw new ArgumentException(
                $"Host '{host}' is not an IP address; give one (127.0.0.1 for this machine only, 0.0.0.0 for every "
                + "interface) or 'localhost'.", "options");
    }
}
