using System.Diagnostics;
using GqaGen.Gguf;

namespace GqaGen.Cli;

/// <summary>
/// Tells a server's operator how far the model file has been read into memory: once the read has taken a second, a
/// line per tenth of the file on <paramref name="writer"/> (plain lines, since a server's output usually goes to a
/// log). Reports arrive on the loading thread.
/// </summary>
internal sealed class LoadProgressWriter(TextWriter writer, string what) : IProgress<GgufLoadProgress>
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _lastTenth = -1;

    public void Report(GgufLoadProgress value)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(_started);
        int tenth = (int)(10 * value.Fraction);
        if (elapsed < TimeSpan.FromSeconds(1) || tenth == _lastTenth)
            return;
        _lastTenth = tenth;
        writer.WriteLine($"loading   {what}: {10 * tenth,3}% ({value.BytesRead / 1e9:N2} of {value.TotalBytes / 1e9:N2} GB, {elapsed.TotalSeconds:N1} s)");
        writer.Flush();
    }
}
