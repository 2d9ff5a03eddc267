using System.ComponentModel;
using System.Runtime.CompilerServices;
using GqaGen.Kernels;

namespace GqaGen;

// Prefill: a block of query tokens attending causally over the cache, tiled flash-attention style. This file holds the
// entry points and the split into work items; GenericGqaKernel.PrefillLanes.cs (vector paths, query rows in lanes) and
// GenericGqaKernel.PrefillTile.cs (row tiles: the scalar path and the shapes lane tiles do not take) the work on one tile.
public static unsafe partial class GenericGqaKernel
{
    /// <summary>Query rows (tokens × heads of one group) a row tile aims for: 16 rows of d floats for Q and as many for the
    /// running outputs are 16 KiB at d = 128, which leave room in a 48 KiB L1 for a block of K rows and one of V rows.
    /// (Lane tiles take as many rows as two vectors have lanes.)</summary>
    internal const int PrefillTileRows = 16;

    /// <summary>
    /// Effectively computes, for each query token i of the block (position p = <paramref name="firstPosition"/> + i) and
    /// each head h of group g = h / (H/G): <c>output[i, h] = Σ_j softmax_j(q[i, h] · K[g, j] / √d) · V[g, j]</c> over the
    /// cached positions j from max(0, p − W + 1) (with the cache's sliding window W; 0 without one) to p, its own included.
    /// NaN or infinite inputs propagate to the rows they touch; <paramref name="count"/> 0 does nothing.
    /// </summary>
    /// <remarks>
    /// <para><b>Order.</b> The block's own keys and values must be in the cache first: append positions
    /// <paramref name="firstPosition"/> … <paramref name="firstPosition"/> + <paramref name="count"/> − 1 (AppendKv),
    /// then call this. Each query reads its own and the earlier positions only, never a later one.</para>
    /// <para><b>Tiling.</b> Per work item (one K/V group × a tile of consecutive query tokens, all heads of the group),
    /// the positions the tile attends to are walked in blocks, and each block's K and V rows are read once for all the
    /// tile's rows: scores S = Q·Kᵀ/√d, the causal (and window) mask where a block crosses a row's limits, an online
    /// softmax per row (running max and sum), O = O·α + P·V. Blocks past the tile's last query are never visited. On the
    /// AVX-512 and AVX2 paths (d a multiple of 8, H/G at most the lanes of two vectors) a tile is 32 or 16 query rows held
    /// in vector lanes, blocks are 64 positions, and fp16/bf16/q8_0 blocks are widened into fp32 scratch once per block
    /// and tile; otherwise (row tiles) about 16 query rows, blocks of 16–64 positions (32 at d = 128), K/V widened in
    /// registers.</para>
    /// <para><b>Non-finite values.</b> A block that crosses some row's limits and holds a NaN or infinite V element is
    /// accumulated row by row over each row's visible positions (slowly), so such an element reaches only the queries
    /// that see its position, as in <c>Decode</c>.</para>
    /// <para><b>Threads.</b> With a <paramref name="pool"/> the work items are dealt round-robin to its threads (tiles
    /// late in a causal block attend to more positions, so contiguous chunks would be unbalanced). Every item is
    /// computed the same way whoever runs it: the result does not depend on the thread count.</para>
    /// </remarks>
    /// <param name="shape">The layout.</param>
    /// <param name="queries">(count, Heads × HeadDim) query elements, token-major.</param>
    /// <param name="cache">The K/V cache, holding the block's K/V already.</param>
    /// <param name="layer">The cache layer to read.</param>
    /// <param name="firstPosition">Position of the first query token.</param>
    /// <param name="count">Number of query tokens, n.</param>
    /// <param name="output">Receives (count, Heads × HeadDim) outputs.</param>
    /// <param name="pool">Threads to spread the work items over; null runs on the calling thread.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, the spans overlap, or the cache holds another layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layer or positions are outside the cache, or a ring cache no longer holds every query's window.</exception>
    /// <exception cref="ObjectDisposedException">The cache or the pool has been disposed.</exception>
    public static void Prefill(GqaShape shape, ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count,
        Span<float> output, ComputePool? pool = null)
    {
        GqaGuard.CheckPrefill(shape, queries, cache, layer, firstPosition, count, output);
        switch (cache.ElementType)
        {
            case KvElementType.Float32: PrefillTiled<Float32Rows, RunTimeDims>(shape, queries, cache, layer, firstPosition, count, output, pool); break;
            case KvElementType.Float16: PrefillTiled<Float16Rows, RunTimeDims>(shape, queries, cache, layer, firstPosition, count, output, pool); break;
            case KvElementType.BFloat16: PrefillTiled<BFloat16Rows, RunTimeDims>(shape, queries, cache, layer, firstPosition, count, output, pool); break;
            default: PrefillTiled<Q8_0Rows, RunTimeDims>(shape, queries, cache, layer, firstPosition, count, output, pool); break;
        }
    }

    /// <summary>
    /// The tiled prefill of <see cref="Prefill"/> for one storage type, with the head dimension and heads per group
    /// taken from <typeparamref name="TDims"/> where it states them (generated layouts) and from
    /// <paramref name="shape"/> otherwise. It does not check its arguments: callers run <see cref="GqaGuard.CheckPrefill"/> first.
    /// </summary>
    /// <remarks>Public because generated code in user assemblies calls it; not meant to be called directly.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void PrefillTiled<TRows, TDims>(GqaShape shape, ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count,
        Span<float> output, ComputePool? pool)
        where TRows : struct, IKvRowFormat
        where TDims : struct, IPrefillDims
    {
        if (pool is not null)
            ObjectDisposedException.ThrowIf(pool.IsDisposed, pool);
        if (count == 0)
            return;

        int headsPerGroup = shape.HeadsPerGroup;
        GqaKernelPath path = PathFor(shape);
        PrefillLanes lanes = LaneTileFor(path, shape.HeadDim, headsPerGroup);
        int tileRows = lanes switch { PrefillLanes.Vector512 => Lanes512.Rows, PrefillLanes.Vector256 => Lanes256.Rows, _ => PrefillTileRows };
        int tileTokens = Math.Max(1, tileRows / headsPerGroup);
        int tiles = (count + tileTokens - 1) / tileTokens;
        int items = tiles * shape.KvGroups;
        int workers = pool is null ? 1 : Math.Min(pool.Threads, items);
        ReadOnlySpan<byte> keys = cache.KeyBytes(layer), values = cache.ValueBytes(layer);
        fixed (float* q = queries, o = output)
        fixed (byte* k = keys, v = values)
        {
            var job = new PrefillJob
            {
                Shape = shape,
                Path = path,
                Lanes = lanes,
                Queries = q,
                Output = o,
                Keys = k,
                Values = v,
                Slots = cache.Slots,
                Window = cache.SlidingWindow,
                FirstPosition = firstPosition,
                Count = count,
                TileTokens = tileTokens,
                Items = items,
                Workers = workers,
                Block = GqaKernelNumbers.BlockPositions(shape.HeadDim, Vector512Width),
            };
            // The job lives in this frame and For returns only when no thread reads it any more.
            if (workers == 1)
                PrefillWorkers<TRows, TDims>(&job, 0, 1);
            else
                pool!.For(workers, 1, &PrefillWorkers<TRows, TDims>, &job);
        }
        GC.KeepAlive(cache);
    }

    private const int Vector512Width = 16;

    /// <summary>Runs workers [<paramref name="start"/>, <paramref name="end"/>): worker w takes items w, w + workers, …
    /// (item = tile · G + group), so each thread gets early and late tiles alike.</summary>
    private static void PrefillWorkers<TRows, TDims>(void* state, int start, int end)
        where TRows : struct, IKvRowFormat
        where TDims : struct, IPrefillDims
    {
        ref PrefillJob job = ref Unsafe.AsRef<PrefillJob>(state);
        int groups = job.Shape.KvGroups;
        for (int worker = start; worker < end; worker++)
        {
            for (int item = worker; item < job.Items; item += job.Workers)
            {
                switch (job.Lanes)
                {
                    case PrefillLanes.Vector512: PrefillLaneTile<TRows, TDims, Lanes512>(ref job, item % groups, item / groups); break;
                    case PrefillLanes.Vector256: PrefillLaneTile<TRows, TDims, Lanes256>(ref job, item % groups, item / groups); break;
                    default: PrefillTile<TRows, TDims>(ref job, item % groups, item / groups); break;
                }
            }
        }
    }

    /// <summary>Everything the work items of one prefill call read; lives in <see cref="PrefillTiled"/>'s frame. The
    /// pointers are pinned (spans) or native (the cache's regions).</summary>
    private struct PrefillJob
    {
        public GqaShape Shape;
        public GqaKernelPath Path;

        /// <summary>Which lane tile (<see cref="PrefillLaneTile"/>) the items run, or none: row tiles.</summary>
        public PrefillLanes Lanes;

        /// <summary>(count, H·d) queries.</summary>
        public float* Queries;

        /// <summary>(count, H·d) outputs.</summary>
        public float* Output;

        /// <summary>The layer's K region, (group, slot, row).</summary>
        public byte* Keys;

        /// <summary>The layer's V region, (group, slot, row).</summary>
        public byte* Values;

        public int Slots;
        public int Window;
        public int FirstPosition;
        public int Count;

        /// <summary>Query tokens per tile (the last tile may be shorter).</summary>
        public int TileTokens;

        public int Items;
        public int Workers;

        /// <summary>Positions per K/V block, a multiple of 16.</summary>
        public int Block;
    }
}
