using System.Diagnostics;
using System.Text;

namespace GqaGen.Package.Tests;

/// <summary>The outcome of one <c>dotnet</c> command: its exit code and stdout and stderr interleaved as they came.</summary>
internal sealed record CliResult(string CommandLine, string WorkingDirectory, int ExitCode, bool TimedOut, string Output)
{
    /// <summary>Everything needed to see why a command failed, for an assertion message.</summary>
    public string Describe() =>
        $"`{CommandLine}` in {WorkingDirectory} " +
        (TimedOut ? "timed out and was killed" : $"exited with code {ExitCode}") +
        $"; its output:{Environment.NewLine}{Output}";
}

/// <summary>
/// Runs the same <c>dotnet</c> host that runs these tests, or a program it installed (a tool's command), as a user
/// would from a shell, with a time limit.
/// </summary>
internal static class DotnetCli
{
    // The SDK sets DOTNET_HOST_PATH for the processes it starts (the test host among them).
    private static readonly string Host =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    public static CliResult Run(string workingDirectory, TimeSpan timeout, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        RunProcess(Host, "dotnet", workingDirectory, timeout, arguments, environment);

    /// <summary>Runs <paramref name="program"/> (an apphost such as an installed tool's command) on this host's runtime.</summary>
    public static CliResult RunProgram(string program, string workingDirectory, TimeSpan timeout, IEnumerable<string> arguments)
    {
        // An apphost finds the runtime through DOTNET_ROOT first, so it runs on the runtime these tests run on.
        var environment = new Dictionary<string, string>();
        if (Path.IsPathRooted(Host))
            environment["DOTNET_ROOT"] = Path.GetDirectoryName(Host)!;
        return RunProcess(program, Path.GetFileName(program), workingDirectory, timeout, arguments, environment);
    }

    private static CliResult RunProcess(string program, string displayName, string workingDirectory, TimeSpan timeout, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);

        // `dotnet test` hands the test host MSBuild variables that pin the SDK it ran from; a user's shell has none.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        // No MSBuild nodes or build server may outlive the command: they would hold its output pipes open.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        // MSBuild reads environment variables as properties: no compiler server (VBCSCompiler) either.
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        string commandLine = displayName + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var stdoutClosed = new TaskCompletionSource();
        var stderrClosed = new TaskCompletionSource();

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data, stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(e.Data, stderrClosed);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        // A grandchild that kept the pipes open must not hang the test: wait for the last lines a bounded time.
        Task.WaitAll([stdoutClosed.Task, stderrClosed.Task], TimeSpan.FromSeconds(30));

        string text;
        lock (output)
            text = output.ToString();
        return new CliResult(commandLine, workingDirectory, exited ? process.ExitCode : -1, !exited, text);

        void Append(string? line, TaskCompletionSource closed)
        {
            if (line is null)
            {
                closed.TrySetResult();
                return;
            }
            lock (output)
                output.AppendLine(line);
        }
    }
}
