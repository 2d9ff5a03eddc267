using Microsoft.Extensions.Logging;

namespace GqaGen.Server;

/// <summary>Where and how a <see cref="GqaGenServer"/> listens.</summary>
public sealed record GqaGenServerOptions
{
    /// <summary>The default port, llama-server's.</summary>
    public const int DefaultPort = 8080;

    /// <summary>The address to listen on: an IP address (<c>127.0.0.1</c>, <c>::1</c>, <c>0.0.0.0</c>, <c>::</c>) or
    /// <c>localhost</c> (IPv4 loopback). Default <c>127.0.0.1</c>: only this machine can connect. The server has no
    /// authentication, so listen on another interface only on a network you trust.</summary>
    public string Host
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value) ? value
            : throw new ArgumentException("Host must be an IP address or 'localhost', e.g. 127.0.0.1.", nameof(Host));
    } = "127.0.0.1";

    /// <summary>The TCP port, 0–65535; 0 lets the system choose a free port (read it from
    /// <see cref="GqaGenServer.BaseAddress"/> once started). Default <see cref="DefaultPort"/>.</summary>
    public int Port
    {
        get;
        init => field = value is >= 0 and <= 65535 ? value
            : throw new ArgumentOutOfRangeException(nameof(Port), value, "Port must be within 0–65535 (0 = any free port).");
    } = DefaultPort;

    /// <summary>The largest request body accepted, in bytes; a larger one gets 413. Default 8 MiB, room for a prompt
    /// that fills a 128K-token context with JSON escapes to spare.</summary>
    public long MaxRequestBodyBytes
    {
        get;
        init => field = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), value, "MaxRequestBodyBytes must be > 0.");
    } = 8 * 1024 * 1024;

    /// <summary>When false (default), a request whose <c>model</c> is not <see cref="IServedModel.Id"/> gets 404
    /// <c>model_not_found</c>, as OpenAI answers for a model it does not serve; when true, any name is accepted and
    /// the one model answers (as llama-server does), for clients that insist on their own model name.</summary>
    public bool AcceptAnyModelName { get; init; }

    /// <summary>Configures the server's logging (providers, levels). Null (default): a console logger showing
    /// GqaGen.Server's information messages (one line per request) and ASP.NET Core's warnings.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
