using System.Diagnostics;
using GqaGen.Gguf;

namespace GqaGen.Samples;

/// <summary>
/// Shows how far a model file has been read into memory, on one line of stderr redrawn in place, once the read has
/// taken longer than <see cref="Delay"/> (a file in the page cache loads faster than that and shows nothing). Reports
/// arrive on the loading thread (this is not <see cref="Progress{T}"/>, which would post them to the thread pool and
/// could draw after the load finished).
/// </summary>
internal sealed class LoadProgressLine(string what) : IProgress<GgufLoadProgress>
{
    /// <summary>How long a load runs before the line appears.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly long _started = Stopwatch.GetTimestamp();
    private bool _shown;
    private int _lastPercent = -1;

    public void Report(GgufLoadProgress value)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(_started);
        if (elapsed < Delay && value.BytesRead < value.TotalBytes)
            return;
        int percent = (int)(100 * value.Fraction);
        bool done = value.BytesRead >= value.TotalBytes;
        if (!_shown && done)
            return; // finished before the delay: nothing to show
        if (percent == _lastPercent && !done)
            return;
        _lastPercent = percent;
        _shown = true;
        string line = $"loading {what}: {percent,3}% ({value.BytesRead / 1e9:N2} of {value.TotalBytes / 1e9:N2} GB, {value.BytesRead / 1e9 / elapsed.TotalSeconds:N2} GB/s)";
        // Redrawn in place on a terminal; redirected, only the last line is written, so a log gets one line, not hundreds.
        if (!Console.IsErrorRedirected)
            Console.Error.Write($"\r{line}");
        if (done)
            Console.Error.WriteLine(Console.IsErrorRedirected ? line : "");
    }
}
