using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen;

// One prefill work item: a tile of query rows (consecutive tokens × the heads of one K/V group) against the K/V blocks
// they attend to, with an online softmax per row, for the scalar path and the shapes lane tiles do not take
// (GenericGqaKernel.PrefillLanes.cs). On the vector paths the score and value steps reuse the decode kernel's register tiles.
public static unsafe partial class GenericGqaKernel
{
    /// <summary>This thread's scratch for prefill tiles, grown on demand: for row tiles Q and O rows, scores, softmax
    /// state and a padded K block; for lane tiles Qᵀ, Oᵀ, Sᵀ and the widened K and V blocks.</summary>
    [ThreadStatic]
    private static float[]? t_prefillScratch;

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrefillTile<TRows, TDims>(ref PrefillJob job, int group, int tile)
        where TRows : struct, IKvRowFormat
        where TDims : struct, IPrefillDims
    {
        // Compile-time numbers when the layout states them (the JIT folds TDims' constants), else the shape's.
        int d = TDims.HeadDim > 0 ? TDims.HeadDim : job.Shape.HeadDim;
        int headsPerGroup = TDims.HeadsPerGroup > 0 ? TDims.HeadsPerGroup : job.Shape.HeadsPerGroup;
        int queryLength = job.Shape.Heads * d;
        int rowBytes = TRows.RowBytes(d);
        int block = job.Block;
        int firstToken = tile * job.TileTokens;
        int tokens = Math.Min(job.TileTokens, job.Count - firstToken);
        int rows = tokens * headsPerGroup;

        // Scratch: Q rows, O rows (rows × d each), scores (rows × block), running max, sum and α (rows each), a padded K block.
        int partialFloats = (block * rowBytes + sizeof(float) - 1) / sizeof(float);
        Span<float> scratch = PrefillScratch(2 * rows * d + rows * block + 3 * rows + partialFloats);
        Span<float> qTile = scratch.Slice(0, rows * d);
        Span<float> oTile = scratch.Slice(rows * d, rows * d);
        Span<float> weights = scratch.Slice(2 * rows * d, rows * block);
        Span<float> runningMax = scratch.Slice(2 * rows * d + rows * block, rows);
        Span<float> runningSum = scratch.Slice(2 * rows * d + rows * block + rows, rows);
        Span<float> alphas = scratch.Slice(2 * rows * d + rows * block + 2 * rows, rows);
        Span<byte> partialKeys = MemoryMarshal.AsBytes(scratch.Slice(2 * rows * d + rows * block + 3 * rows, partialFloats)).Slice(0, block * rowBytes);

        // The tile's query rows, token-major: row t · (H/G) + h is head g·(H/G) + h of token firstToken + t.
        for (int t = 0; t < tokens; t++)
            new ReadOnlySpan<float>(job.Queries + (long)(firstToken + t) * queryLength + group * headsPerGroup * d, headsPerGroup * d)
                .CopyTo(qTile.Slice(t * headsPerGroup * d));
        oTile.Clear();
        runningMax.Fill(float.NegativeInfinity);
        runningSum.Clear();

        // Token t (position p) attends to [max(0, p − W + 1), p]: the tile to [first token's start, last token's position].
        int firstPosition = job.FirstPosition + firstToken, lastPosition = firstPosition + tokens - 1;
        int window = job.Window;
        int tileStart = WindowStart(firstPosition, window);
        int lastStart = WindowStart(lastPosition, window); // the latest start of any row of the tile
        var regionKeys = new ReadOnlySpan<byte>(job.Keys + (long)group * job.Slots * rowBytes, job.Slots * rowBytes);
        var regionValues = new ReadOnlySpan<byte>(job.Values + (long)group * job.Slots * rowBytes, job.Slots * rowBytes);
        GqaKernelPath path = job.Path;

        for (int b = tileStart, n; b <= lastPosition; b += n)
        {
            // One block of positions [b, b + n), contiguous in the ring (cut where it wraps to slot 0).
            int slot = b % job.Slots;
            n = Math.Min(Math.Min(block, lastPosition + 1 - b), job.Slots - slot);
            ReadOnlySpan<byte> blockKeys = regionKeys.Slice(slot * rowBytes, n * rowBytes);
            ReadOnlySpan<byte> blockValues = regionValues.Slice(slot * rowBytes, n * rowBytes);

            // S = Q·Kᵀ/√d for every row of the tile (padded to whole register tiles with masked columns).
            int scored = ScorePrefillBlock<TRows>(path, qTile, rows, d, rowBytes, blockKeys, n, partialKeys, weights, block, job.Shape.Scale);

            // The causal and window masks, only where the block crosses some row's limits: a row t sees [start_t, p_t].
            bool inside = b >= lastStart && b + n - 1 <= firstPosition;
            for (int r = 0; r < rows; r++)
            {
                Span<float> rowScores = weights.Slice(r * block, scored);
                if (n < scored)
                    rowScores.Slice(n).Fill(float.NegativeInfinity);
                if (!inside)
                {
                    int position = firstPosition + r / headsPerGroup;
                    int from = Math.Max(WindowStart(position, window) - b, 0), to = Math.Min(position + 1 - b, n);
                    if (from >= to)
                    {
                        // Nothing of this block is visible to the row: it adds nothing and its state stays as it was.
                        rowScores.Clear();
                        alphas[r] = 1;
                        continue;
                    }
                    rowScores.Slice(0, from).Fill(float.NegativeInfinity);
                    rowScores.Slice(to).Fill(float.NegativeInfinity);
                }
                alphas[r] = GqaSimd.SoftmaxBlock(rowScores, ref runningMax[r], ref runningSum[r]);
            }

            // O = O·α + P·V, each V row of the block used by every row of the tile while it is in L1; a block crossing some
            // row's limits that holds a NaN or infinite V element goes row by row over the visible positions only.
            if (inside || RowsAllFinite<TRows>(blockValues, n, d, rowBytes))
                AccumulatePrefillBlock<TRows>(path, oTile, rows, d, rowBytes, blockValues, n, weights, block, alphas);
            else
                AccumulateVisible<TRows>(oTile, rows, d, rowBytes, blockValues, n, weights, block, alphas, firstPosition, headsPerGroup, window, b);
        }

        // Normalize each row and write it to its token's head.
        for (int r = 0; r < rows; r++)
        {
            int t = r / headsPerGroup, h = r % headsPerGroup;
            var destination = new Span<float>(job.Output + (long)(firstToken + t) * queryLength + (group * headsPerGroup + h) * d, d);
            GqaSimd.Scale(oTile.Slice(r * d, d), 1f / runningSum[r], destination);
        }
    }

    /// <summary>Whether every element of the block's <paramref name="n"/> rows is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool RowsAllFinite<TRows>(ReadOnlySpan<byte> rows, int n, int d, int rowBytes)
        where TRows : struct, IKvRowFormat
    {
        for (int j = 0; j < n; j++)
        {
            ref byte row = ref MemoryMarshal.GetReference(rows.Slice(j * rowBytes, rowBytes));
            for (int i = 0; i < d; i++)
            {
                if (!float.IsFinite(TRows.Load(ref row, i)))
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// <c>o_r = o_r · α_r + Σ w[r, j] · V_j</c> over the positions j of the block row r sees only (the slow path for a
    /// block with a NaN or infinite V element, where a masked position's 0 · V would be NaN).
    /// </summary>
    private static void AccumulateVisible<TRows>(Span<float> oTile, int rows, int d, int rowBytes, ReadOnlySpan<byte> blockValues, int n,
        Span<float> weights, int stride, Span<float> alphas, int firstPosition, int headsPerGroup, int window, int b)
        where TRows : struct, IKvRowFormat
    {
        for (int r = 0; r < rows; r++)
        {
            int position = firstPosition + r / headsPerGroup;
            int from = Math.Max(WindowStart(position, window) - b, 0), to = Math.Min(position + 1 - b, n);
            Span<float> or = oTile.Slice(r * d, d);
            for (int i = 0; i < d; i++)
                or[i] *= alphas[r];
            for (int j = from; j < to; j++)
            {
                ref byte v = ref MemoryMarshal.GetReference(blockValues.Slice(j * rowBytes, rowBytes));
                float w = weights[r * stride + j];
                for (int i = 0; i < d; i++)
                    or[i] += w * TRows.Load(ref v, i);
            }
        }
    }

    /// <summary>The first position a query at <paramref name="position"/> sees: max(0, p − W + 1), or 0 without a window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WindowStart(int position, int window) => window > 0 ? Math.Max(0, position - window + 1) : 0;

    private static Span<float> PrefillScratch(int length)
    {
        float[]? buffer = t_prefillScratch;
        if (buffer is null || buffer.Length < length)
            t_prefillScratch = buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>
    /// Writes <c>weights[r · stride + j] = q_r · K_j · scale</c> for every row r and position j &lt; n of the block, and
    /// returns how many columns were written: n rounded up to the path's register tile (the extra columns come from
    /// zero-padded K rows and are masked by the caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScorePrefillBlock<TRows>(GqaKernelPath path, Span<float> qTile, int rows, int d, int rowBytes,
        ReadOnlySpan<byte> blockKeys, int n, Span<byte> partialKeys, Span<float> weights, int stride, float scale)
        where TRows : struct, IKvRowFormat
    {
        ref float q = ref MemoryMarshal.GetReference(qTile);
        ref float s = ref MemoryMarshal.GetReference(weights);
        if (path == GqaKernelPath.Scalar)
        {
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> qr = qTile.Slice(r * d, d);
                for (int j = 0; j < n; j++)
                {
                    ref byte k = ref MemoryMarshal.GetReference(blockKeys.Slice(j * rowBytes, rowBytes));
                    float dot = 0;
                    for (int i = 0; i < d; i++)
                        dot += qr[i] * TRows.Load(ref k, i);
                    Unsafe.Add(ref s, r * stride + j) = dot * scale;
                }
            }
            return n;
        }

        int tile = path == GqaKernelPath.Avx512 ? Vector512<float>.Count : Vector256<float>.Count;
        int scored = (n + tile - 1) / tile * tile;
        scoped ReadOnlySpan<byte> keys = blockKeys;
        if (n < scored)
        {
            // Register tiles read whole groups of rows: pad the block with zero rows rather than read past it.
            blockKeys.CopyTo(partialKeys);
            partialKeys.Slice(n * rowBytes, (scored - n) * rowBytes).Clear();
            keys = partialKeys;
        }
        ref byte k0 = ref MemoryMarshal.GetReference(keys);
        int lastOffset = d - tile;

        if (path == GqaKernelPath.Avx512)
        {
            Vector512<float> lastMask = GqaSimd.LastLanes512(d % tile == 0 ? tile : d % tile);
            Vector512<float> scales = Vector512.Create(scale);
            for (int p0 = 0; p0 < scored; p0 += tile)
            {
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    for (int sub = 0; sub < tile; sub += 4)
                    {
                        Vector512<float> scores = ScoreTile4x4<TRows>(ref Unsafe.Add(ref q, r * d), ref Unsafe.Add(ref k0, (p0 + sub) * rowBytes), d, rowBytes, lastOffset, lastMask) * scales;
                        for (int i = 0; i < 4; i++)
                            Vector128.StoreUnsafe(Lane(scores, i), ref s, (nuint)((r + i) * stride + p0 + sub));
                    }
                }
                for (; r < rows; r++)
                {
                    Vector512<float> scores = ScoreTile1x16<TRows>(ref Unsafe.Add(ref q, r * d), ref Unsafe.Add(ref k0, p0 * rowBytes), rowBytes, lastOffset, lastMask) * scales;
                    scores.StoreUnsafe(ref s, (nuint)(r * stride + p0));
                }
            }
        }
        else
        {
            Vector256<float> lastMask = GqaSimd.LastLanes256(d % tile == 0 ? tile : d % tile);
            Vector256<float> scales = Vector256.Create(scale);
            for (int p0 = 0; p0 < scored; p0 += tile)
            {
                for (int r = 0; r < rows; r++)
                {
                    Vector256<float> scores = ScoreTile256<TRows>(ref Unsafe.Add(ref q, r * d), ref Unsafe.Add(ref k0, p0 * rowBytes), rowBytes, lastOffset, lastMask) * scales;
                    scores.StoreUnsafe(ref s, (nuint)(r * stride + p0));
                }
            }
        }
        return scored;
    }

    /// <summary>Elements of the output rows <see cref="AccumulateValues4"/> holds in registers at once: four Vector512.</summary>
    private const int PrefillValueStep = 4 * 16;

    /// <summary>
    /// Four rows: <c>o_r = o_r · α_r + Σ_{j &lt; n} w[r · wStride + j] · V_j</c>, for a d that is a multiple of 64. Four
    /// vectors of each row stay in 16 registers while the V rows stream past, so each V vector loaded feeds four FMAs
    /// (the decode kernel's two-head form feeds two: prefill has more query rows per K/V row to share the load).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateValues4<TRows>(ref float o, ref byte v, ref float w, int wStride, int n, ReadOnlySpan<float> alphas, int d, int rowBytes)
        where TRows : struct, IKvRowFormat
    {
        Vector512<float> s0 = Vector512.Create(alphas[0]), s1 = Vector512.Create(alphas[1]), s2 = Vector512.Create(alphas[2]), s3 = Vector512.Create(alphas[3]);
        ref float o1 = ref Unsafe.Add(ref o, d), o2 = ref Unsafe.Add(ref o, 2 * d), o3 = ref Unsafe.Add(ref o, 3 * d);
        ref float w1 = ref Unsafe.Add(ref w, wStride), w2 = ref Unsafe.Add(ref w, 2 * wStride), w3 = ref Unsafe.Add(ref w, 3 * wStride);
        for (int offset = 0; offset < d; offset += PrefillValueStep)
        {
            nuint at = (nuint)offset;
            Vector512<float> a0 = Vector512.LoadUnsafe(ref o, at) * s0, a1 = Vector512.LoadUnsafe(ref o, at + 16) * s0;
            Vector512<float> a2 = Vector512.LoadUnsafe(ref o, at + 32) * s0, a3 = Vector512.LoadUnsafe(ref o, at + 48) * s0;
            Vector512<float> b0 = Vector512.LoadUnsafe(ref o1, at) * s1, b1 = Vector512.LoadUnsafe(ref o1, at + 16) * s1;
            Vector512<float> b2 = Vector512.LoadUnsafe(ref o1, at + 32) * s1, b3 = Vector512.LoadUnsafe(ref o1, at + 48) * s1;
            Vector512<float> c0 = Vector512.LoadUnsafe(ref o2, at) * s2, c1 = Vector512.LoadUnsafe(ref o2, at + 16) * s2;
            Vector512<float> c2 = Vector512.LoadUnsafe(ref o2, at + 32) * s2, c3 = Vector512.LoadUnsafe(ref o2, at + 48) * s2;
            Vector512<float> e0 = Vector512.LoadUnsafe(ref o3, at) * s3, e1 = Vector512.LoadUnsafe(ref o3, at + 16) * s3;
            Vector512<float> e2 = Vector512.LoadUnsafe(ref o3, at + 32) * s3, e3 = Vector512.LoadUnsafe(ref o3, at + 48) * s3;
            ref byte row = ref v;
            for (int j = 0; j < n; j++)
            {
                Vector512<float> v0 = TRows.Load512(ref row, offset), v1 = TRows.Load512(ref row, offset + 16);
                Vector512<float> v2 = TRows.Load512(ref row, offset + 32), v3 = TRows.Load512(ref row, offset + 48);
                Vector512<float> x = Vector512.Create(Unsafe.Add(ref w, j));
                a0 = Vector512.FusedMultiplyAdd(v0, x, a0); a1 = Vector512.FusedMultiplyAdd(v1, x, a1);
                a2 = Vector512.FusedMultiplyAdd(v2, x, a2); a3 = Vector512.FusedMultiplyAdd(v3, x, a3);
                x = Vector512.Create(Unsafe.Add(ref w1, j));
                b0 = Vector512.FusedMultiplyAdd(v0, x, b0); b1 = Vector512.FusedMultiplyAdd(v1, x, b1);
                b2 = Vector512.FusedMultiplyAdd(v2, x, b2); b3 = Vector512.FusedMultiplyAdd(v3, x, b3);
                x = Vector512.Create(Unsafe.Add(ref w2, j));
                c0 = Vector512.FusedMultiplyAdd(v0, x, c0); c1 = Vector512.FusedMultiplyAdd(v1, x, c1);
                c2 = Vector512.FusedMultiplyAdd(v2, x, c2); c3 = Vector512.FusedMultiplyAdd(v3, x, c3);
                x = Vector512.Create(Unsafe.Add(ref w3, j));
                e0 = Vector512.FusedMultiplyAdd(v0, x, e0); e1 = Vector512.FusedMultiplyAdd(v1, x, e1);
                e2 = Vector512.FusedMultiplyAdd(v2, x, e2); e3 = Vector512.FusedMultiplyAdd(v3, x, e3);
                row = ref Unsafe.Add(ref row, rowBytes);
            }
            a0.StoreUnsafe(ref o, at); a1.StoreUnsafe(ref o, at + 16); a2.StoreUnsafe(ref o, at + 32); a3.StoreUnsafe(ref o, at + 48);
            b0.StoreUnsafe(ref o1, at); b1.StoreUnsafe(ref o1, at + 16); b2.StoreUnsafe(ref o1, at + 32); b3.StoreUnsafe(ref o1, at + 48);
            c0.StoreUnsafe(ref o2, at); c1.StoreUnsafe(ref o2, at + 16); c2.StoreUnsafe(ref o2, at + 32); c3.StoreUnsafe(ref o2, at + 48);
            e0.StoreUnsafe(ref o3, at); e1.StoreUnsafe(ref o3, at + 16); e2.StoreUnsafe(ref o3, at + 32); e3.StoreUnsafe(ref o3, at + 48);
        }
    }

    /// <summary>For every row r: <c>o_r = o_r · α_r + Σ_{j &lt; n} weights[r · stride + j] · V_j</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulatePrefillBlock<TRows>(GqaKernelPath path, Span<float> oTile, int rows, int d, int rowBytes,
        ReadOnlySpan<byte> blockValues, int n, Span<float> weights, int stride, Span<float> alphas)
        where TRows : struct, IKvRowFormat
    {
        ref float o = ref MemoryMarshal.GetReference(oTile);
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref byte v = ref MemoryMarshal.GetReference(blockValues);
        if (path == GqaKernelPath.Avx512)
        {
            int lastOffset = d - Vector512<float>.Count;
            Vector512<float> lastMask = GqaSimd.LastLanes512(d % 16 == 0 ? 16 : d % 16);
            int r = 0;
            if (d % PrefillValueStep == 0)
            {
                for (; r + 4 <= rows; r += 4)
                    AccumulateValues4<TRows>(ref Unsafe.Add(ref o, r * d), ref v, ref Unsafe.Add(ref w, r * stride), stride, n, alphas.Slice(r, 4), d, rowBytes);
            }
            for (; r + 2 <= rows; r += 2)
                AccumulateValues2<TRows>(ref Unsafe.Add(ref o, r * d), ref v, ref Unsafe.Add(ref w, r * stride), stride, n, alphas[r], alphas[r + 1], d, rowBytes, lastOffset, lastMask);
            for (; r < rows; r++)
                AccumulateValues1<TRows>(ref Unsafe.Add(ref o, r * d), ref v, ref Unsafe.Add(ref w, r * stride), n, alphas[r], d, rowBytes, lastOffset, lastMask);
        }
        else if (path == GqaKernelPath.Avx2)
        {
            int lastOffset = d - Vector256<float>.Count;
            Vector256<float> lastMask = GqaSimd.LastLanes256(d % 8 == 0 ? 8 : d % 8);
            for (int r = 0; r < rows; r++)
                AccumulateValues256<TRows>(oTile.Slice(r * d, d), ref v, weights.Slice(r * stride, n), n, alphas[r], d, rowBytes, lastOffset, lastMask);
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> or = oTile.Slice(r * d, d);
                ReadOnlySpan<float> p = weights.Slice(r * stride, n);
                float alpha = alphas[r];
                for (int i = 0; i < d; i++)
                {
                    float acc = or[i] * alpha;
                    for (int j = 0; j < n; j++)
                        acc += p[j] * TRows.Load(ref Unsafe.Add(ref v, j * rowBytes), i);
                    or[i] = acc;
                }
            }
        }
    }
}
