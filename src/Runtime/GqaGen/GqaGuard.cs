using System.ComponentModel;

namespace GqaGen;

/// <summary>
/// Argument checks shared by the generated, generic and reference kernels, so that every kernel rejects
/// bad input with the same message naming the expected and actual sizes.
/// </summary>
/// <remarks>Public because generated code in user assemblies calls it; not meant to be called directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GqaGuard
{
    /// <summary>Checks the arguments of a decode call against <paramref name="shape"/>.</summary>
    public static void CheckDecode(GqaShape shape, ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp)
    {
        CheckCache(shape, cache, layer);
        CheckLength(nameof(query), query.Length, shape.QueryLength, shape, "Heads × HeadDim");
        CheckLength(nameof(output), output.Length, shape.QueryLength, shape, "Heads × HeadDim");
        if (!logSumExp.IsEmpty)
            CheckLength(nameof(logSumExp), logSumExp.Length, shape.Heads, shape, "Heads (or empty)");
        if (positions.End > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(positions), positions,
                $"Positions {positions} reach past the cache capacity {cache.Capacity}; the last readable position is {cache.Capacity - 1}.");
        // Kernels clear each group's output before reading its queries, so a shared buffer would attend with zeros.
        if (query.Overlaps(output))
            throw new ArgumentException("output overlaps query; decoding in place is not supported. Pass a separate output buffer.", nameof(output));
        if (logSumExp.Overlaps(output) || logSumExp.Overlaps(query))
            throw new ArgumentException("logSumExp overlaps query or output; pass a separate buffer.", nameof(logSumExp));
    }

    /// <summary>
    /// Checks the arguments of a prefill call against <paramref name="shape"/>: <paramref name="count"/> query tokens at
    /// positions <paramref name="firstPosition"/> … <paramref name="firstPosition"/> + <paramref name="count"/> − 1, whose
    /// K/V the caller has appended already, and, for a ring cache, that every query's window is still in the ring.
    /// </summary>
    public static void CheckPrefill(GqaShape shape, ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output)
    {
        CheckCache(shape, cache, layer);
        if (count < 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A prefill block holds 0 or more query tokens; got {count}.");
        if (firstPosition < 0)
            throw new ArgumentOutOfRangeException(nameof(firstPosition), firstPosition, $"The first query position cannot be negative; got {firstPosition}.");
        if ((long)firstPosition + count > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"Query positions {firstPosition} to {(long)firstPosition + count - 1} reach past the cache capacity {cache.Capacity} (positions 0 to {cache.Capacity - 1}); create the cache with a larger capacity.");
        long expected = (long)count * shape.QueryLength;
        if (queries.Length != expected)
            throw new ArgumentException($"queries has {queries.Length} elements; expected {expected} (count {count} × Heads × HeadDim {shape.QueryLength} for {shape}).", nameof(queries));
        if (output.Length != expected)
            throw new ArgumentException($"output has {output.Length} elements; expected {expected} (count {count} × Heads × HeadDim {shape.QueryLength} for {shape}).", nameof(output));
        if (queries.Overlaps(output))
            throw new ArgumentException("output overlaps queries; prefilling in place is not supported. Pass a separate output buffer.", nameof(output));
        if (cache.SlidingWindow > 0 && count > 0)
        {
            // The oldest position any query of the block reads is the first query's window start; the newest is the last
            // query's own. All of them must still be in the ring after the block's K/V was appended.
            int oldest = Math.Max(0, firstPosition - cache.SlidingWindow + 1);
            long needed = (long)firstPosition + count - oldest;
            if (needed > cache.Slots)
                throw new ArgumentOutOfRangeException(nameof(count), count,
                    $"A block of {count} queries from position {firstPosition} with sliding window {cache.SlidingWindow} reads positions {oldest} to {(long)firstPosition + count - 1} ({needed} positions), "
                    + $"but the ring holds {cache.Slots} slots, so appending the block overwrote the oldest of them. Prefill in blocks of at most {Math.Max(1, cache.Slots - (firstPosition - oldest))} queries "
                    + $"(Slots − W + 1 = {Math.Max(1, cache.Slots - cache.SlidingWindow + 1)} once past the first window), appending each block just before it, or use the overload that appends.");
        }
    }

    /// <summary>Checks the arguments of an append call against <paramref name="shape"/>.</summary>
    public static void CheckAppend(GqaShape shape, KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        CheckCache(shape, cache, layer);
        if ((uint)position >= (uint)cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(position), position,
                position < 0
                    ? $"Position {position} is negative."
                    : $"Position {position} is past the cache capacity {cache.Capacity} (positions 0 to {cache.Capacity - 1}); create the cache with a larger capacity.");
        CheckLength(nameof(key), key.Length, shape.KvLength, shape, "KvGroups × HeadDim");
        CheckLength(nameof(value), value.Length, shape.KvLength, shape, "KvGroups × HeadDim");
    }

    /// <summary>
    /// Checks that <paramref name="cache"/> was created with the sliding window a layout was generated for: such a
    /// layout's kernels accept only caches of its window (a layout without one decodes any cache, applying the cache's own).
    /// </summary>
    /// <param name="cache">The cache, already checked by <see cref="CheckDecode"/> or <see cref="CheckAppend"/>.</param>
    /// <param name="slidingWindow">The layout's window, W &gt; 0.</param>
    /// <param name="layout">The layout type's name, for the message.</param>
    public static void CheckSlidingWindow(KvCache cache, int slidingWindow, string layout)
    {
        if (cache.SlidingWindow != slidingWindow)
            throw new ArgumentException(
                $"The cache has {(cache.SlidingWindow == 0 ? "no sliding window" : $"a sliding window of {cache.SlidingWindow} positions")} but {layout} was generated for SlidingWindow = {slidingWindow}. "
                + $"Create its caches with {layout}.CreateCache(layers, capacity, elementType), or new KvCache(shape, layers, capacity, elementType, slidingWindow: {slidingWindow}).",
                nameof(cache));
    }

    private static void CheckCache(GqaShape shape, KvCache cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ObjectDisposedException.ThrowIf(cache.IsDisposed, cache);
        if (cache.Shape != shape)
            throw new ArgumentException($"The cache holds layout ({cache.Shape}) but the kernel expects ({shape}).", nameof(cache));
        if ((uint)layer >= (uint)cache.Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layer {layer} does not exist: the cache has {cache.Layers} layer(s), 0 to {cache.Layers - 1}.");
    }

    private static void CheckLength(string name, int actual, int expected, GqaShape shape, string formula)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements; expected {expected} ({formula} for {shape}).", name);
    }
}
