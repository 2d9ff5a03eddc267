namespace GqaGen;

/// <summary>
/// A decode-attention kernel for one fixed layout. The GqaGen generator implements it on every
/// <see cref="GqaLayoutAttribute"/> type, so runtime code written as <c>Run&lt;TLayout&gt;() where TLayout : IGqaKernel</c>
/// calls the generated code directly: static abstract members are resolved at JIT time, with no virtual call.
/// </summary>
public interface IGqaKernel
{
    /// <summary>The layout the kernel was generated for.</summary>
    static abstract GqaShape Shape { get; }

    /// <summary>
    /// The KV storage types the generated decode drivers are compiled for (<see cref="GqaLayoutAttribute.KvElementTypes"/>);
    /// <see cref="Decode"/> still accepts a cache of any other type and runs the generic kernel for it.
    /// </summary>
    static abstract KvElementTypes KvElementTypes { get; }

    /// <summary>
    /// The sliding window W the layout was generated for (<see cref="GqaLayoutAttribute.SlidingWindow"/>), or 0 for none.
    /// With a window, <see cref="Decode"/> and <see cref="AppendKv"/> accept only caches created with that window; without
    /// one they accept any cache of the shape and apply the cache's own window (<see cref="KvCache.SlidingWindow"/>).
    /// </summary>
    static abstract int SlidingWindow { get; }

    /// <summary>The instruction-set path <see cref="Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float})"/> takes on this machine.</summary>
    static abstract GqaKernelPath ActivePath { get; }

    /// <summary>Writes one token's keys and values (each <c>KvGroups × HeadDim</c> floats) at <paramref name="position"/> of <paramref name="layer"/>.</summary>
    static abstract void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value);

    /// <summary>
    /// Attends one query token (<c>Heads × HeadDim</c> floats) over the cached positions in <paramref name="positions"/>
    /// and writes <c>Heads × HeadDim</c> outputs; when <paramref name="logSumExp"/> is not empty it receives, per head,
    /// the log of the softmax denominator (for merging split-KV partial results).
    /// </summary>
    static abstract void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp);

    /// <summary>
    /// Attends a block of <paramref name="count"/> query tokens (<c>count × Heads × HeadDim</c> floats, token-major) at
    /// positions <paramref name="firstPosition"/> … <paramref name="firstPosition"/> + <paramref name="count"/> − 1
    /// causally over the cache: query i sees positions max(0, p − W + 1) … p (p its own position, W the cache's sliding
    /// window, 0 for none). Append the block's keys and values first (<see cref="AppendKv"/> for each of its positions),
    /// then call this. A cache of a storage type the layout has no driver for runs the generic kernel, as
    /// <see cref="Decode"/> does. See <see cref="GenericGqaKernel.Prefill"/> for the tiling and threading.
    /// </summary>
    static abstract void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool);
}
