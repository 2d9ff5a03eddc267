using System.Text;

namespace GqaGen.Bench.Peers;

/// <summary>
/// Where each benchmark process leaves its row's gate outcome ("ok 3.1E-007 (limit 1E-004)", "unsupported: …",
/// "FAILED: …") for the host process's "Gate" column, and the reference outputs it shares between processes.
/// </summary>
/// <remarks>
/// BenchmarkDotNet runs every benchmark case in a child process, and the host prints the table; the two meet in the
/// folder named by the <see cref="DirectoryVariable"/> environment variable, which <c>Program</c> sets to a fresh
/// folder under BenchmarkDotNet.Artifacts for each run (children inherit the host's environment). Unset (tests, an
/// in-process run without Program), nothing is written and the column shows "-".
/// </remarks>
internal static class GateLog
{
    /// <summary>The environment variable naming the folder.</summary>
    public const string DirectoryVariable = "GQAGEN_BENCH_GATE_DIR";

    /// <summary>The folder of this run, or null when none is set.</summary>
    public static string? Directory => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } directory ? directory : null;

    /// <summary>A key naming one benchmark case: its class, method and parameter values (sorted by name, so both sides build the same key).</summary>
    public static string Key(string type, string method, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var key = new StringBuilder(type).Append('.').Append(method);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            key.Append('_').Append(name).Append('-').Append(value);
        foreach (char c in Path.GetInvalidFileNameChars())
            key.Replace(c, '_');
        return key.ToString();
    }

    /// <summary>Records <paramref name="outcome"/> for <paramref name="key"/> (one line; later records replace earlier ones).</summary>
    public static void Record(string key, string outcome)
    {
        if (Directory is not { } directory)
            return;
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, key + ".gate.txt"), outcome.ReplaceLineEndings(" "));
    }

    /// <summary>The outcome recorded for <paramref name="key"/>, or null.</summary>
    public static string? Read(string key)
    {
        if (Directory is not { } directory)
            return null;
        string path = Path.Combine(directory, key + ".gate.txt");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }
}
