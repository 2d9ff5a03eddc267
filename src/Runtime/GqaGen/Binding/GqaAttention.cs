namespace GqaGen;

/// <summary>
/// A decode-attention kernel chosen at run time: a generated kernel bound to its layout type, or the generic
/// kernel for a shape nobody annotated. A decoder that learns its layout from a model file holds one of these;
/// the cost is one virtual call per layer and token, against the thousands of vector operations inside it.
/// </summary>
public abstract class GqaAttention
{
    private protected GqaAttention(GqaShape shape) => Shape = shape;

    /// <summary>The layout the kernel serves.</summary>
    public GqaShape Shape { get; }

    /// <summary>What runs: the layout type's name for a generated kernel, "generic" otherwise.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the kernel was generated for this exact layout.</summary>
    public abstract bool IsGenerated { get; }

    /// <summary>The instruction-set path the kernel takes on this machine.</summary>
    public abstract GqaKernelPath ActivePath { get; }

    /// <summary>The KV storage types the kernel has compiled drivers for (<see cref="IGqaKernel.KvElementTypes"/>; all for the
    /// generic kernel). A cache of another type still decodes, through the generic kernel.</summary>
    public abstract KvElementTypes KvElementTypes { get; }

    /// <summary>The sliding window the kernel was generated for, or 0 (<see cref="IGqaKernel.SlidingWindow"/>; 0 for the
    /// generic kernel, which applies each cache's own window).</summary>
    public abstract int SlidingWindow { get; }

    /// <summary>A one-line description for logs, e.g. "generated Llama3_8B (H=32, G=8, d=128), Avx512 path"
    /// (with ", sliding window 4096" for a windowed layout).</summary>
    public string Description => $"{(IsGenerated ? "generated " + Name : "generic kernel")} ({Shape}), {ActivePath} path{(SlidingWindow > 0 ? $", sliding window {SlidingWindow}" : "")}";

    /// <summary>Whether the kernel has a compiled driver for caches storing <paramref name="elementType"/>.</summary>
    public bool Covers(KvElementType elementType) => (KvElementTypes & elementType.ToFlag()) != 0;

    /// <summary>The attribute line that makes the generator emit a kernel for this layout.</summary>
    public string AttributeLine => AttributeLineFor(Shape);

    /// <summary>Writes one token's keys and values; see <see cref="IGqaKernel.AppendKv"/>.</summary>
    public abstract void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value);

    /// <summary>Attends one query token over <paramref name="positions"/>; see <see cref="IGqaKernel.Decode"/>.</summary>
    public abstract void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default);

    /// <summary>
    /// Attends one query token over <paramref name="positions"/> as <see cref="Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float})"/>
    /// does, split over <paramref name="pool"/>'s threads (split-KV, or flash-decoding): the attended positions are cut
    /// into contiguous chunks, each thread decodes one into its own partial output and log-sum-exp, and the partials
    /// are merged by log-sum-exp in chunk order.
    /// </summary>
    /// <remarks>
    /// <para><b>The split.</b> With a <see cref="KvCache.SlidingWindow"/> the attended positions are
    /// <see cref="KvCache.Attended"/>(<paramref name="positions"/>), the window's tail; otherwise the range itself. They
    /// are cut into min(<see cref="ComputePool.Threads"/>, length / m) chunks of equal length (boundaries on multiples
    /// of 16 positions), where m = 64 KiB / <see cref="KvCache.RowBytes"/> is the fewest positions worth a thread: each
    /// chunk then streams at least 64 KiB of every group's K rows and as much of its V rows (m = 128 positions for
    /// d = 128 in fp32, 256 for d = 64; measured on Zen 5, shorter streams made two threads slower than one). Fewer
    /// than 2·m attended positions, a null pool or a one-thread pool run the kernel on the calling thread alone,
    /// exactly as the overload without a pool. Only positions are split, never K/V groups, so MQA layouts (one group)
    /// gain as much as any other.</para>
    /// <para><b>Results.</b> A given thread count gives the same bits on every call (chunks depend only on the range and
    /// the thread count; partials merge in a fixed order). Across thread counts the sums run in different orders, so
    /// results differ by the kernel's own float rounding: a few 1e-6 relative per head at thousands of positions, as far
    /// as the single-threaded kernel is from exact, and within the 1e-5 every kernel is held to.</para>
    /// <para><b>Cost.</b> Nothing is allocated per call: the partials (H·d + H floats per chunk after the first, which
    /// is decoded into <paramref name="output"/>) live in a buffer of the calling thread, allocated on its first split
    /// call and grown only for a larger layout or pool. Calls from several threads may share one pool; it runs their
    /// chunks one call at a time. A call made from inside one of the pool's own chunks runs its chunks inline.</para>
    /// </remarks>
    /// <param name="query">One token's queries, <c>Heads × HeadDim</c> floats.</param>
    /// <param name="cache">The K/V cache; it must hold this binding's layout.</param>
    /// <param name="layer">The cache layer to read.</param>
    /// <param name="positions">The positions the token attends to (its own included), as in the pool-less overload.</param>
    /// <param name="output">Receives <c>Heads × HeadDim</c> outputs. If a chunk throws, its contents are unspecified.</param>
    /// <param name="logSumExp">Empty, or <c>Heads</c> floats receiving each head's log-sum-exp over all attended positions.</param>
    /// <param name="pool">The threads to split over; null runs on the calling thread.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, spans overlap, or the cache holds another layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positions"/> or <paramref name="layer"/> is outside the cache.</exception>
    /// <exception cref="ObjectDisposedException">The cache or the pool has been disposed.</exception>
    /// <exception cref="Exception">Whatever a chunk's kernel call throws is rethrown here, after every chunk has finished.</exception>
    public void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp, ComputePool? pool)
        => SplitKvDecode.Decode(this, query, cache, layer, positions, output, logSumExp, pool);

    /// <summary>
    /// Attends a block of <paramref name="count"/> prompt tokens causally over the cache, tiled so that each K/V row is read
    /// once per tile of queries rather than once per query (see <see cref="GenericGqaKernel.Prefill"/>): query i, at
    /// position p = <paramref name="firstPosition"/> + i, attends to positions max(0, p − W + 1) … p (W the cache's sliding
    /// window; 0 for none), exactly as <see cref="Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float})"/>
    /// over [0, p + 1) would.
    /// </summary>
    /// <remarks>
    /// <para><b>Order: append first.</b> The block's own keys and values must already be in the cache: call
    /// <see cref="AppendKv"/> for positions <paramref name="firstPosition"/> … <paramref name="firstPosition"/> + <paramref name="count"/> − 1,
    /// then <c>Prefill</c>. (<see cref="AppendAndPrefill"/> does both, in sub-blocks a ring cache can hold.)</para>
    /// <para><b>Rings.</b> With a sliding window the ring must still hold every query's window after the block is
    /// appended: (firstPosition + count) − max(0, firstPosition − W + 1) ≤ <see cref="KvCache.Slots"/>; otherwise an
    /// <see cref="ArgumentOutOfRangeException"/> names the numbers.</para>
    /// <para><b>Threads.</b> Work items (K/V group × tile of query tokens) are dealt round-robin to <paramref name="pool"/>'s
    /// threads; each item is computed identically whoever runs it, so any thread count gives the same bits.</para>
    /// </remarks>
    /// <param name="queries">(count, Heads × HeadDim) query elements, token-major.</param>
    /// <param name="cache">The K/V cache; it must hold this binding's layout and the block's K/V.</param>
    /// <param name="layer">The cache layer to read.</param>
    /// <param name="firstPosition">Position of the first query token.</param>
    /// <param name="count">Number of query tokens (0 does nothing).</param>
    /// <param name="output">Receives (count, Heads × HeadDim) outputs; must not overlap <paramref name="queries"/>.</param>
    /// <param name="pool">Threads to spread the work over; null runs on the calling thread.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, the spans overlap, or the cache holds another layout (or window, for a windowed layout).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer or positions are outside the cache, or a ring no longer holds every query's window.</exception>
    /// <exception cref="ObjectDisposedException">The cache or the pool has been disposed.</exception>
    public abstract void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool = null);

    /// <summary>
    /// Appends the block's keys and values and attends its queries, as <see cref="AppendKv"/> for each position followed
    /// by <see cref="Prefill"/>, cut into sub-blocks that a ring cache can hold (each sub-block is appended just before it
    /// is attended): with a sliding window W over a ring of S slots, at most S − W + 1 queries per sub-block once the
    /// positions pass the first window. Without a window the whole block is one sub-block.
    /// </summary>
    /// <param name="queries">(count, Heads × HeadDim) query elements.</param>
    /// <param name="keys">(count, KvGroups × HeadDim) key elements for positions firstPosition onwards.</param>
    /// <param name="values">(count, KvGroups × HeadDim) value elements.</param>
    /// <param name="cache">The K/V cache.</param>
    /// <param name="layer">The cache layer.</param>
    /// <param name="firstPosition">Position of the first token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <param name="output">Receives (count, Heads × HeadDim) outputs.</param>
    /// <param name="pool">Threads to spread the attention over; null runs on the calling thread.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or the cache holds another layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer or positions are outside the cache.</exception>
    public void AppendAndPrefill(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, KvCache cache, int layer,
        int firstPosition, int count, Span<float> output, ComputePool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long kvLength = (long)count * Shape.KvLength;
        if (keys.Length != kvLength)
            throw new ArgumentException($"keys has {keys.Length} elements; expected {kvLength} (count {count} × KvGroups × HeadDim {Shape.KvLength} for {Shape}).", nameof(keys));
        if (values.Length != kvLength)
            throw new ArgumentException($"values has {values.Length} elements; expected {kvLength} (count {count} × KvGroups × HeadDim {Shape.KvLength} for {Shape}).", nameof(values));
        // The sizes and positions of the whole block are checked before anything is written; AppendKv and Prefill check
        // the cache, layer and ring for each sub-block.
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        long expected = (long)count * Shape.QueryLength;
        if (queries.Length != expected || output.Length != expected)
            throw new ArgumentException($"queries and output have {queries.Length} and {output.Length} elements; expected {expected} each (count {count} × Heads × HeadDim {Shape.QueryLength} for {Shape}).", queries.Length != expected ? nameof(queries) : nameof(output));
        if ((long)firstPosition + count > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Positions {firstPosition} to {(long)firstPosition + count - 1} reach past the cache capacity {cache.Capacity}.");

        int q = Shape.QueryLength, kv = Shape.KvLength;
        for (int done = 0, part; done < count; done += part)
        {
            int position = firstPosition + done;
            part = count - done;
            if (cache.SlidingWindow > 0)
            {
                // The sub-block's first query reads back to max(0, position − W + 1); the ring must hold that and the sub-block.
                int held = cache.Slots - (position - Math.Max(0, position - cache.SlidingWindow + 1));
                part = Math.Min(part, Math.Max(1, held));
            }
            for (int i = done; i < done + part; i++)
                AppendKv(cache, layer, firstPosition + i, keys.Slice(i * kv, kv), values.Slice(i * kv, kv));
            Prefill(queries.Slice(done * q, part * q), cache, layer, position, part, output.Slice(done * q, part * q), pool);
        }
    }

    /// <summary>The binding for the generated kernel of <typeparamref name="TKernel"/>.</summary>
    public static GqaAttention For<TKernel>() where TKernel : IGqaKernel => new Generated<TKernel>();

    /// <summary>The generic kernel for <paramref name="shape"/>.</summary>
    public static GqaAttention Generic(GqaShape shape) => new GenericBinding(shape);

    /// <summary>The attribute line for <paramref name="shape"/>, e.g. <c>[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]</c>.</summary>
    public static string AttributeLineFor(GqaShape shape) => AttributeLineFor(shape.Heads, shape.KvGroups, shape.HeadDim);

    /// <summary>The attribute line for a layout given as numbers (not checked: tools print it for any model they read).</summary>
    public static string AttributeLineFor(int heads, int kvGroups, int headDim) =>
        $"[GqaLayout(Heads = {heads}, KvGroups = {kvGroups}, HeadDim = {headDim})]";

    /// <inheritdoc/>
    public override string ToString() => Description;

    private sealed class Generated<TKernel>() : GqaAttention(TKernel.Shape) where TKernel : IGqaKernel
    {
        public override string Name => typeof(TKernel).FullName ?? typeof(TKernel).Name;

        public override bool IsGenerated => true;

        public override GqaKernelPath ActivePath => TKernel.ActivePath;

        public override KvElementTypes KvElementTypes => TKernel.KvElementTypes;

        public override int SlidingWindow => TKernel.SlidingWindow;

        public override void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value) =>
            TKernel.AppendKv(cache, layer, position, key, value);

        public override void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default) =>
            TKernel.Decode(query, cache, layer, positions, output, logSumExp);

        public override void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool = null) =>
            TKernel.Prefill(queries, cache, layer, firstPosition, count, output, pool);
    }

    private sealed class GenericBinding(GqaShape shape) : GqaAttention(shape)
    {
        public override string Name => "generic";

        public override bool IsGenerated => false;

        public override GqaKernelPath ActivePath => GenericGqaKernel.PathFor(Shape);

        public override KvElementTypes KvElementTypes => KvElementTypes.All;

        public override int SlidingWindow => 0;

        public override void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value) =>
            GenericGqaKernel.AppendKv(Shape, cache, layer, position, key, value);

        public override void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default) =>
            GenericGqaKernel.Decode(Shape, query, cache, layer, positions, output, logSumExp);

        public override void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool = null) =>
            GenericGqaKernel.Prefill(Shape, queries, cache, layer, firstPosition, count, output, pool);
    }
}
