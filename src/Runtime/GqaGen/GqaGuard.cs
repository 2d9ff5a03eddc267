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
