using System.Text;

namespace GqaGen.Llama.Generation;

/// <summary>
/// Finds <see cref="GenerationOptions.StopSequences"/> in text that arrives piece by piece, and says which text is
/// final: text is held back while it could be the start of a stop sequence, so no stop sequence, or part of one, ever
/// reaches the stream.
/// </summary>
/// <remarks>
/// The text released so far never contains the start of a stop sequence (whatever could have been one was held), so a
/// match can only begin in the held text, which is never longer than the longest stop sequence plus the last piece. The
/// first stop sequence to be complete ends the text, at the earliest position where a complete one starts. Matching
/// is ordinal, on UTF-16 text; a held-back suffix never splits a surrogate pair. Not thread-safe.
/// </remarks>
internal sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private readonly StringBuilder _held = new();

    public StopSequenceMatcher(IReadOnlyList<string> stops)
    {
        _stops = [.. stops];
        _longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    /// <summary>Whether a stop sequence has been found (and everything from it on dropped).</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="piece"/> and returns the text that is now final: everything before a stop sequence
    /// if one is now complete (and <see cref="Stopped"/> becomes true), else everything but the longest end that could
    /// still grow into one. Empty once stopped.</summary>
    public string Append(string piece)
    {
        if (Stopped)
            return string.Empty;
        if (_stops.Length == 0)
            return piece;
        if (piece.Length == 0 && _held.Length == 0)
            return string.Empty;
        _held.Append(piece);
        string held = _held.ToString();

        int match = -1;
        foreach (string stop in _stops)
        {
            int at = held.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (match < 0 || at < match))
                match = at;
        }
        if (match >= 0)
        {
            Stopped = true;
            _held.Clear();
            return held[..match];
        }

        int keep = PossibleStart(held);
        _held.Remove(0, held.Length - keep);
        return held[..^keep];
    }

    /// <summary>Returns the held-back text, which no stop sequence can complete any more because no text follows.</summary>
    public string Flush()
    {
        string held = _held.ToString();
        _held.Clear();
        return Stopped ? string.Empty : held;
    }

    /// <summary>The length of the longest end of <paramref name="held"/> that is a proper start of some stop sequence
    /// (0 if none), widened by one if it would otherwise split a surrogate pair.</summary>
    private int PossibleStart(string held)
    {
        for (int length = Math.Min(held.Length, _longest - 1); length > 0; length--)
        {
            ReadOnlySpan<char> end = held.AsSpan(held.Length - length);
            foreach (string stop in _stops)
            {
                if (stop.AsSpan().StartsWith(end, StringComparison.Ordinal))
                {
                    int start = held.Length - length;
                    return start > 0 && char.IsHighSurrogate(held[start - 1]) && char.IsLowSurrogate(held[start]) ? length + 1 : length;
                }
            }
        }
        return 0;
    }
}
