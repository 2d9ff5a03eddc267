namespace GqaGen;

/// <summary>A half-open range of cache positions [<see cref="Start"/>, <see cref="End"/>).</summary>
/// <remarks>Kernels take a range rather than a length so that split-KV decoding can hand each thread a slice
/// and merge the slices with their log-sum-exp.</remarks>
public readonly record struct KvRange
{
    /// <summary>Creates the range [<paramref name="start"/>, <paramref name="end"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is negative or greater than <paramref name="end"/>.</exception>
    public KvRange(int start, int end)
    {
        if (start < 0)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"A position range cannot start before 0; got start {start}.");
        if (end < start)
            throw new ArgumentOutOfRangeException(nameof(end), end, $"A position range cannot end ({end}) before it starts ({start}).");
        Start = start;
        End = end;
    }

    /// <summary>The first position in the range.</summary>
    public int Start { get; }

    /// <summary>One past the last position in the range.</summary>
    public int End { get; }

    /// <summary>Number of positions, <c>End - Start</c>.</summary>
    public int Length => End - Start;

    /// <summary>The range [0, <paramref name="length"/>).</summary>
    public static KvRange FromLength(int length) => new(0, length);

    /// <inheritdoc/>
    public override string ToString() => $"[{Start}, {End})";
}
