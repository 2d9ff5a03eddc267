using System.Diagnostics;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Samples;

/// <summary>
/// One line of stderr that shows how far a long step has come (reading a model into memory, running a prompt), redrawn
/// in place on a terminal, once the step has taken longer than <see cref="Delay"/>: a step that ends sooner shows
/// nothing. Redirected, only the finished line is written, so a log gets one line, not hundreds. Reports arrive on the
/// working thread (this is not <see cref="Progress{T}"/>, which posts them to the thread pool and could draw after the
/// step has finished).
/// </summary>
internal sealed class ProgressLine : IProgress<GgufLoadProgress>, IProgress<PrefillProgress>
{
    /// <summary>How long a step runs before its line appears.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly string _what;
    private long _started = Stopwatch.GetTimestamp();
    private bool _shown;
    private int _lastPermille = -1;

    public ProgressLine(string what) => _what = what;

    /// <summary>Bytes of the model file read into memory.</summary>
    public void Report(GgufLoadProgress value) =>
        Update(value.Fraction, value.BytesRead >= value.TotalBytes, Stopwatch.GetElapsedTime(_started),
            elapsed => $"{value.BytesRead / 1e9:N2} of {value.TotalBytes / 1e9:N2} GB, {value.BytesRead / 1e9 / elapsed.TotalSeconds:N2} GB/s");

    /// <summary>Prompt tokens run.</summary>
    public void Report(PrefillProgress value)
    {
        if (value.TokensDone <= LlamaSession.PrefillChunk)
            _started = Stopwatch.GetTimestamp() - (long)(value.Elapsed.TotalSeconds * Stopwatch.Frequency); // the prompt's own clock
        Update(value.Fraction, value.TokensDone >= value.TokensTotal, value.Elapsed,
            _ => $"{value.TokensDone:N0} of {value.TokensTotal:N0} tokens, {value.TokensPerSecond:N1} tokens/s");
    }

    private void Update(double fraction, bool done, TimeSpan elapsed, Func<TimeSpan, string> detail)
    {
        if (!_shown && (done || elapsed < Delay))
            return; // finished before the delay, or still inside it
        int permille = (int)(1000 * fraction);
        if (permille == _lastPermille && !done)
            return;
        _lastPermille = permille;
        _shown = true;
        string line = $"{_what}: {fraction,6:P1} ({detail(elapsed)})";
        if (!Console.IsErrorRedirected)
            Console.Error.Write($"\r{line}\u001b[K"); // erase what a longer previous line left
        if (done)
            Console.Error.WriteLine(Console.IsErrorRedirected ? line : "");
    }
}
