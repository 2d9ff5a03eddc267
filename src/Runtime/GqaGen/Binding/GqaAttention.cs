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
    }
}
