using System.Runtime.CompilerServices;
using GqaGen.Kernels;

namespace GqaGen;

/// <summary>
/// Split-KV decoding (flash-decoding) over a <see cref="ComputePool"/>: one query token's attended positions are cut
/// into contiguous chunks, one per thread; each chunk is decoded by the ordinary kernel into its own partial output and
/// log-sum-exp, and the partials are merged with <see cref="GqaSimd.MergeInto"/> in chunk order. The public entry point
/// is <see cref="GqaAttention.Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float}, ComputePool?)"/>.
/// </summary>
/// <remarks>
/// <para><b>Why positions and not groups.</b> Each thread streaming its own slice of every group's K/V rows keeps the
/// work equal for any layout, MQA (G = 1) included, and needs nothing from a kernel but its <see cref="KvRange"/>.
/// Giving each thread a subset of the K/V groups would need no merge, but the kernels decode all of their layout's
/// groups in one call and a <see cref="KvCache"/> has no view over some of its groups, so it is not done.</para>
/// <para><b>Determinism.</b> The chunks depend only on the attended range, the pool's thread count and the row size,
/// and the merge order is fixed (chunk 0, then 1, 2, …), so a given thread count gives the same bits on every call.
/// Different thread counts sum in different orders: they differ by the kernels' own float rounding (measured: up to
/// about 4e-6 relative per head at 5,000 positions, 8e-6 at 20,000, with the single-threaded kernel as far from the
/// double reference), while the merge itself stays within 1e-6 of an exact merge of the same chunks.</para>
/// <para><b>No allocation per call.</b> The partials live in a buffer of the calling thread (<see cref="PartialBuffer"/>),
/// allocated on its first split call and grown only for a larger shape or thread count; chunk 0 is decoded straight
/// into the caller's output. The chunks run through the pool's function-pointer form, with their arguments in a
/// struct in this frame.</para>
/// </remarks>
internal static unsafe class SplitKvDecode
{
    /// <summary>
    /// The fewest bytes of one group's K rows (and as many of its V rows) a chunk streams: a chunk gets at least
    /// <see cref="MinimumPositionsPerChunk(int)"/> = this / <see cref="KvCache.RowBytes"/> positions, so a range shorter than
    /// twice that runs on the calling thread alone.
    /// </summary>
    /// <remarks>
    /// Measured on 2026-12 (Zen 5, 2 cores, AVX-512, a quiet moment of a shared VM), 2 threads against 1, each call on
    /// another of up to 64 layers so that K/V come from memory: the split lost wherever a chunk streamed 32 KiB of each
    /// group's rows or less (Llama-3-8B, d = 128, at 128 positions: 0.86×; GPT-2, d = 64, at 256: 0.84×; Falcon-7B at
    /// 128: 0.83×) and won from 64 KiB on (Llama-3-8B at 256 positions: 1.22×; GPT-2 at 512: 1.18×; Falcon-7B at 512:
    /// 1.23×; Qwen2.5-0.5B at 640: 1.33×; H = 2, d = 17 at 2,048: 1.13×). The break-even follows the length of each
    /// group's stream, not the work per call (Falcon's 71 heads or GPT-2's 12 groups moved it little): short streams
    /// end before the hardware prefetchers ramp up.
    /// </remarks>
    public const int MinimumChunkBytesPerGroup = 64 * 1024;

    /// <summary>Chunk boundaries fall on multiples of this many positions from the range's start (one AVX-512 tile of the
    /// kernels), so that only the last chunk ends in a partial tile.</summary>
    public const int ChunkAlignment = 16;

    /// <summary>Floats between two partials, past the end of the first: one cache line, so that threads writing
    /// neighbouring partials never share a line.</summary>
    private const int PartialGap = 16;

    /// <summary>The calling thread's partial outputs and log-sum-exps; see <see cref="PartialBuffer"/>.</summary>
    [ThreadStatic]
    private static float[]? t_partials;

    /// <summary>The fewest positions a chunk gets for rows of <paramref name="rowBytes"/> bytes:
    /// ⌈<see cref="MinimumChunkBytesPerGroup"/> / rowBytes⌉, and at least 2 × <see cref="ChunkAlignment"/>.</summary>
    public static int MinimumPositionsPerChunk(int rowBytes)
        => Math.Max(2 * ChunkAlignment, (MinimumChunkBytesPerGroup + rowBytes - 1) / rowBytes);

    /// <summary>How many chunks <paramref name="attendedLength"/> positions of rows of <paramref name="rowBytes"/> bytes are
    /// cut into on <paramref name="threads"/> threads: <c>clamp(length / MinimumPositionsPerChunk(rowBytes), 1, threads)</c>.</summary>
    public static int ChunkCount(int threads, int attendedLength, int rowBytes)
        => Math.Clamp(attendedLength / MinimumPositionsPerChunk(rowBytes), 1, threads);

    /// <summary>
    /// Chunk <paramref name="index"/> of <paramref name="chunks"/> over <paramref name="attended"/>: boundary i lies at
    /// <c>Start + ⌊Length · i / chunks⌋</c> rounded down to a multiple of <see cref="ChunkAlignment"/>, and the last
    /// boundary is <c>End</c>. Chunks are contiguous, in order, and cover the range exactly once.
    /// </summary>
    public static KvRange Chunk(KvRange attended, int chunks, int index)
        => new(Boundary(attended, chunks, index), Boundary(attended, chunks, index + 1));

    /// <summary>
    /// Decodes like <paramref name="attention"/>.Decode, split over <paramref name="pool"/>'s threads when the range is
    /// long enough; see <see cref="GqaAttention.Decode(ReadOnlySpan{float}, KvCache, int, KvRange, Span{float}, Span{float}, ComputePool?)"/>.
    /// </summary>
    public static void Decode(GqaAttention attention, ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions,
        Span<float> output, Span<float> logSumExp, ComputePool? pool)
    {
        GqaShape shape = attention.Shape;
        GqaGuard.CheckDecode(shape, query, cache, layer, positions, output, logSumExp);
        if (pool is not null)
            ObjectDisposedException.ThrowIf(pool.IsDisposed, pool);

        // With a sliding window the kernel would attend to the range's last W positions only. Split that tail, not the
        // range: every chunk is then at most W long and lies inside the window, so no chunk re-applies the window to
        // itself, and no thread is handed positions that only get masked away.
        KvRange attended = cache.Attended(positions);
        int chunks = pool is null ? 1 : ChunkCount(pool.Threads, attended.Length, cache.RowBytes);
        if (chunks == 1)
        {
            // Exactly the single-threaded kernel, bit for bit (and it applies the window itself).
            attention.Decode(query, cache, layer, positions, output, logSumExp);
            return;
        }

        int stride = PartialStride(shape);
        Span<float> partials = PartialBuffer(chunks * stride);
        // Chunk 0 is decoded straight into the caller's output; its log-sum-exp goes to the caller's buffer, or to the
        // start of partial 0 (otherwise unused) when the caller asked for none.
        Span<float> firstLogSumExp = logSumExp.IsEmpty ? partials[..shape.Heads] : logSumExp;
        fixed (float* q = query, o = output, l = firstLogSumExp, p = partials)
        {
            var job = new Job
            {
                Attention = attention,
                Cache = cache,
                Layer = layer,
                Attended = attended,
                Chunks = chunks,
                Query = q,
                FirstOutput = o,
                FirstLogSumExp = l,
                Partials = p,
                PartialStride = stride,
            };
            // The job lives in this frame, and For returns only when no thread reads it any more. Its two object
            // references are GC roots here (an address-taken struct is reported for the whole method); a worker loads
            // them through the pointer when it runs, after any relocation.
            pool!.For(chunks, 1, &DecodeChunks, Unsafe.AsPointer(ref job));
        }

        // Fixed order: the same thread count gives the same bits.
        int d = shape.HeadDim, queryLength = shape.QueryLength;
        for (int c = 1; c < chunks; c++)
        {
            Span<float> partial = partials.Slice(c * stride, queryLength + shape.Heads);
            GqaSimd.MergeInto(d, output, firstLogSumExp, partial[..queryLength], partial[queryLength..]);
        }
        GC.KeepAlive(attention);
        GC.KeepAlive(cache);
    }

    /// <summary>The pool's body: decodes chunks [<paramref name="start"/>, <paramref name="end"/>) of the job (one chunk
    /// per thread, or all of them inline when the call is nested inside another of the pool's chunks).</summary>
    private static void DecodeChunks(void* state, int start, int end)
    {
        ref Job job = ref Unsafe.AsRef<Job>(state);
        GqaShape shape = job.Attention.Shape;
        int queryLength = shape.QueryLength, heads = shape.Heads;
        var query = new ReadOnlySpan<float>(job.Query, queryLength);
        for (int c = start; c < end; c++)
        {
            KvRange range = Chunk(job.Attended, job.Chunks, c);
            float* partial = job.Partials + (nint)c * job.PartialStride;
            Span<float> output = c == 0 ? new Span<float>(job.FirstOutput, queryLength) : new Span<float>(partial, queryLength);
            Span<float> logSumExp = c == 0 ? new Span<float>(job.FirstLogSumExp, heads) : new Span<float>(partial + queryLength, heads);
            job.Attention.Decode(query, job.Cache, job.Layer, range, output, logSumExp);
        }
    }

    /// <summary>Floats from one partial (H·d outputs, then H log-sum-exps) to the next: rounded up to whole cache
    /// lines, plus a line of gap.</summary>
    private static int PartialStride(GqaShape shape)
        => (shape.QueryLength + shape.Heads + PartialGap - 1) / PartialGap * PartialGap + PartialGap;

    /// <summary>
    /// This thread's buffer of at least <paramref name="length"/> floats for the partials of its split decodes, grown on
    /// demand and kept for the thread's life: one per calling thread, so that decodes from several threads (which the
    /// pool runs one after another) never share partials, even while one merges and another's chunks run.
    /// </summary>
    private static Span<float> PartialBuffer(int length)
    {
        float[]? buffer = t_partials;
        if (buffer is null || buffer.Length < length)
            t_partials = buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private static int Boundary(KvRange attended, int chunks, int index)
        => index == chunks
            ? attended.End
            : attended.Start + (int)((long)attended.Length * index / chunks / ChunkAlignment * ChunkAlignment);

    /// <summary>What every chunk of one split decode needs; lives in <see cref="Decode"/>'s frame for the call.</summary>
    private struct Job
    {
        public GqaAttention Attention;
        public KvCache Cache;
        public int Layer;
        public KvRange Attended;
        public int Chunks;

        /// <summary>H·d query elements (pinned).</summary>
        public float* Query;

        /// <summary>The caller's output, where chunk 0 is decoded (pinned).</summary>
        public float* FirstOutput;

        /// <summary>H log-sum-exps of chunk 0: the caller's, or the start of partial 0 (pinned).</summary>
        public float* FirstLogSumExp;

        /// <summary>Partial c (c ≥ 1) at <c>Partials + c · PartialStride</c>: H·d outputs, then H log-sum-exps (pinned).</summary>
        public float* Partials;

        public int PartialStride;
    }
}
