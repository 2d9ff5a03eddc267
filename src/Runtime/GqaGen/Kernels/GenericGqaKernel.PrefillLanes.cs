using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GqaGen.Kernels;

namespace GqaGen;

// The AVX-512 prefill tile with the query rows in vector lanes: 32 query rows (tokens × the heads of
// one group) are two Vector512, and every step of the tile is a vertical operation on them. Scores S = Q·Kᵀ are
// outer products (a column of Qᵀ times one broadcast K element), so no dot product is reduced across lanes; the online
// softmax keeps each row's running max and sum in a lane, so it has no per-row scalar work; O = O·α + P·V accumulates
// Oᵀ the same way from broadcast V elements. Each K and V element loaded feeds the 32 rows at once. Broadcasts need
// singles in memory, so fp16, bf16 and q8_0 blocks are widened into an fp32 scratch block first, once per block and
// tile (about one widening instruction per 32 of the block's FMAs at d = 128).
public static unsafe partial class GenericGqaKernel
{
    /// <summary>Query rows per lane tile: two Vector512 of lanes.</summary>
    internal const int LaneRows = GqaKernelNumbers.PrefillLaneRows;

    /// <summary>K/V positions per block of the lane tile: Sᵀ for a block is 64 × 32 floats (8 KiB), and a block's V
    /// rows (32 KiB at d = 128) are walked once per 8 output elements while they sit in L1/L2.</summary>
    internal const int LaneBlock = 64;

    /// <summary>Whether the lane tile takes this prefill (<see cref="GqaKernelNumbers.PrefillLaneTileApplies"/> on the
    /// AVX-512 path). Anything else keeps the row tile (PrefillTile).</summary>
    private static bool LaneTileApplies(GqaKernelPath path, int headDim, int headsPerGroup)
        => path == GqaKernelPath.Avx512 && Avx512F.IsSupported && GqaKernelNumbers.PrefillLaneTileApplies(headDim, headsPerGroup);

    [SkipLocalsInit]
    private static void PrefillLaneTile<TRows, TDims>(ref PrefillJob job, int group, int tile)
        where TRows : struct, IKvRowFormat
        where TDims : struct, IPrefillDims
    {
        int d = TDims.HeadDim > 0 ? TDims.HeadDim : job.Shape.HeadDim;
        int headsPerGroup = TDims.HeadsPerGroup > 0 ? TDims.HeadsPerGroup : job.Shape.HeadsPerGroup;
        int queryLength = job.Shape.Heads * d;
        int firstToken = tile * job.TileTokens;
        int tokens = Math.Min(job.TileTokens, job.Count - firstToken);
        int rows = tokens * headsPerGroup;

        // Scratch: Qᵀ and Oᵀ (d × 32 each), Sᵀ (block × 32), each row's sum, and for widened formats a block of K and
        // one of V rows as singles.
        bool widens = typeof(TRows) != typeof(Float32Rows);
        int rowBytes = TRows.RowBytes(d);
        Span<float> scratch = PrefillScratch(2 * d * LaneRows + LaneBlock * LaneRows + LaneRows + (widens ? 2 * LaneBlock * d : 0));
        fixed (float* scratchStart = scratch)
        {
            float* qT = scratchStart, oT = qT + d * LaneRows, sT = oT + d * LaneRows, sums = sT + LaneBlock * LaneRows;
            float* wideKeys = sums + LaneRows, wideValues = wideKeys + LaneBlock * d;

            // Qᵀ[i, r] = q_r[i] / √d (the softmax scale folded in), lane r = t · (H/G) + h. Lanes past the tile's rows
            // hold zero queries at the last token's position: finite scores, outputs never written.
            float scale = job.Shape.Scale;
            for (int r = 0; r < LaneRows; r++)
            {
                float* q = job.Queries + (long)(firstToken + r / headsPerGroup) * queryLength + (group * headsPerGroup + r % headsPerGroup) * d;
                if (r < rows)
                {
                    for (int i = 0; i < d; i++)
                        qT[i * LaneRows + r] = q[i] * scale;
                }
                else
                {
                    for (int i = 0; i < d; i++)
                        qT[i * LaneRows + r] = 0;
                }
            }
            new Span<float>(oT, d * LaneRows).Clear();

            // Each lane's position and first visible position (window), for the masks.
            int firstPosition = job.FirstPosition + firstToken, lastPosition = firstPosition + tokens - 1;
            int window = job.Window;
            int* laneLast = stackalloc int[LaneRows];
            int* laneFirst = stackalloc int[LaneRows];
            for (int r = 0; r < LaneRows; r++)
            {
                int position = firstPosition + Math.Min(r / headsPerGroup, tokens - 1);
                laneLast[r] = position;
                laneFirst[r] = WindowStart(position, window);
            }
            Vector512<int> last0 = Vector512.Load(laneLast), last1 = Vector512.Load(laneLast + 16);
            Vector512<int> first0 = Vector512.Load(laneFirst), first1 = Vector512.Load(laneFirst + 16);

            Vector512<float> max0 = Vector512.Create(float.NegativeInfinity), max1 = max0;
            Vector512<float> sum0 = Vector512<float>.Zero, sum1 = sum0;
            int tileStart = WindowStart(firstPosition, window);
            int lastStart = WindowStart(lastPosition, window);
            byte* regionKeys = job.Keys + (long)group * job.Slots * rowBytes;
            byte* regionValues = job.Values + (long)group * job.Slots * rowBytes;

            for (int b = tileStart, n; b <= lastPosition; b += n)
            {
                // One block of positions [b, b + n), contiguous in the ring (cut where it wraps to slot 0).
                int slot = b % job.Slots;
                n = Math.Min(Math.Min(LaneBlock, lastPosition + 1 - b), job.Slots - slot);
                bool inside = b >= lastStart && b + n - 1 <= firstPosition;
                float* keys = (float*)(regionKeys + (long)slot * rowBytes), values = (float*)(regionValues + (long)slot * rowBytes);
                if (widens)
                {
                    WidenRows<TRows>(regionKeys + (long)slot * rowBytes, rowBytes, n, d, wideKeys);
                    WidenRows<TRows>(regionValues + (long)slot * rowBytes, rowBytes, n, d, wideValues);
                    keys = wideKeys;
                    values = wideValues;
                }

                // Sᵀ for the block, masked, and its max per lane.
                (Vector512<float> blockMax0, Vector512<float> blockMax1) = LaneScores(qT, keys, d, b, n, inside, sT, last0, last1, first0, first1);

                // Online softmax per lane: rows whose every visible position so far is masked keep max −∞, so shift by 0
                // there (their P and α are then 0, and their O and sum, still 0, stay 0).
                Vector512<float> newMax0 = Avx512F.Max(max0, blockMax0), newMax1 = Avx512F.Max(max1, blockMax1);
                Vector512<float> shift0 = ZeroWhereNegativeInfinity(newMax0), shift1 = ZeroWhereNegativeInfinity(newMax1);
                Vector512<float> alpha0 = FastExp.Exp(max0 - shift0), alpha1 = FastExp.Exp(max1 - shift1);
                Vector512<float> blockSum0 = Vector512<float>.Zero, blockSum1 = blockSum0;
                for (int p = 0; p < n; p++)
                {
                    float* s = sT + p * LaneRows;
                    Vector512<float> p0 = FastExp.Exp(Vector512.Load(s) - shift0), p1 = FastExp.Exp(Vector512.Load(s + 16) - shift1);
                    p0.Store(s);
                    p1.Store(s + 16);
                    blockSum0 += p0;
                    blockSum1 += p1;
                }
                sum0 = Vector512.FusedMultiplyAdd(sum0, alpha0, blockSum0);
                sum1 = Vector512.FusedMultiplyAdd(sum1, alpha1, blockSum1);
                max0 = newMax0;
                max1 = newMax1;

                LaneValues(oT, values, d, n, sT, alpha0, alpha1);
            }

            // Normalize each row and write it to its token's head.
            sum0.Store(sums);
            sum1.Store(sums + 16);
            for (int r = 0; r < rows; r++)
            {
                float* destination = job.Output + (long)(firstToken + r / headsPerGroup) * queryLength + (group * headsPerGroup + r % headsPerGroup) * d;
                float inverse = 1f / sums[r];
                for (int i = 0; i < d; i++)
                    destination[i] = oT[i * LaneRows + r] * inverse;
            }
        }
    }

    /// <summary>Widens <paramref name="n"/> rows of <paramref name="d"/> elements (d a multiple of 8) to singles, row after row.</summary>
    private static void WidenRows<TRows>(byte* rows, int rowBytes, int n, int d, float* destination)
        where TRows : struct, IKvRowFormat
    {
        for (int j = 0; j < n; j++, rows += rowBytes, destination += d)
        {
            ref byte row = ref Unsafe.AsRef<byte>(rows);
            int i = 0;
            for (; i + 16 <= d; i += 16)
                TRows.Load512(ref row, i).Store(destination + i);
            if (i < d)
                TRows.Load256(ref row, i).Store(destination + i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ZeroWhereNegativeInfinity(Vector512<float> x)
        => Vector512.ConditionalSelect(Vector512.Equals(x, Vector512.Create(float.NegativeInfinity)), Vector512<float>.Zero, x);

    /// <summary>
    /// Writes <c>Sᵀ[p, r] = Qᵀ[·, r] · K_p</c> for positions p &lt; n of the block starting at position
    /// <paramref name="b"/> (K rows at <paramref name="keys"/>), −∞ where lane r may not see position b + p (causal and
    /// window masks, applied only when the block is not <paramref name="inside"/> every lane's range), and returns the
    /// block's max per lane. Positions go eight at a time (16 accumulators); a last partial step reads its missing
    /// rows from the block's last row and masks them.
    /// </summary>
    private static (Vector512<float>, Vector512<float>) LaneScores(float* qT, float* keys, int d, int b, int n, bool inside, float* sT,
        Vector512<int> last0, Vector512<int> last1, Vector512<int> first0, Vector512<int> first1)
    {
        Vector512<float> blockMax0 = Vector512.Create(float.NegativeInfinity), blockMax1 = blockMax0;
        Vector512<float> minusInfinity = blockMax0;
        for (int p0 = 0; p0 < n; p0 += 8)
        {
            float* k0 = keys + (long)p0 * d;
            float* k1 = keys + (long)Math.Min(p0 + 1, n - 1) * d, k2 = keys + (long)Math.Min(p0 + 2, n - 1) * d;
            float* k3 = keys + (long)Math.Min(p0 + 3, n - 1) * d, k4 = keys + (long)Math.Min(p0 + 4, n - 1) * d;
            float* k5 = keys + (long)Math.Min(p0 + 5, n - 1) * d, k6 = keys + (long)Math.Min(p0 + 6, n - 1) * d;
            float* k7 = keys + (long)Math.Min(p0 + 7, n - 1) * d;
            Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
            float* q = qT;
            for (int i = 0; i < d; i++, q += LaneRows)
            {
                Vector512<float> q0 = Vector512.Load(q), q1 = Vector512.Load(q + 16);
                Vector512<float> x = Vector512.Create(k0[i]);
                a00 = Vector512.FusedMultiplyAdd(q0, x, a00); a01 = Vector512.FusedMultiplyAdd(q1, x, a01);
                x = Vector512.Create(k1[i]);
                a10 = Vector512.FusedMultiplyAdd(q0, x, a10); a11 = Vector512.FusedMultiplyAdd(q1, x, a11);
                x = Vector512.Create(k2[i]);
                a20 = Vector512.FusedMultiplyAdd(q0, x, a20); a21 = Vector512.FusedMultiplyAdd(q1, x, a21);
                x = Vector512.Create(k3[i]);
                a30 = Vector512.FusedMultiplyAdd(q0, x, a30); a31 = Vector512.FusedMultiplyAdd(q1, x, a31);
                x = Vector512.Create(k4[i]);
                a40 = Vector512.FusedMultiplyAdd(q0, x, a40); a41 = Vector512.FusedMultiplyAdd(q1, x, a41);
                x = Vector512.Create(k5[i]);
                a50 = Vector512.FusedMultiplyAdd(q0, x, a50); a51 = Vector512.FusedMultiplyAdd(q1, x, a51);
                x = Vector512.Create(k6[i]);
                a60 = Vector512.FusedMultiplyAdd(q0, x, a60); a61 = Vector512.FusedMultiplyAdd(q1, x, a61);
                x = Vector512.Create(k7[i]);
                a70 = Vector512.FusedMultiplyAdd(q0, x, a70); a71 = Vector512.FusedMultiplyAdd(q1, x, a71);
            }

            if (!inside || p0 + 8 > n)
            {
                // Lane r sees position j when first_r ≤ j ≤ last_r; steps past the block's end see nothing.
                int j = b + p0;
                int end = b + n;
                Mask(ref a00, ref a01, j, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a10, ref a11, j + 1, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a20, ref a21, j + 2, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a30, ref a31, j + 3, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a40, ref a41, j + 4, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a50, ref a51, j + 5, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a60, ref a61, j + 6, end, last0, last1, first0, first1, minusInfinity);
                Mask(ref a70, ref a71, j + 7, end, last0, last1, first0, first1, minusInfinity);
            }

            float* s = sT + p0 * LaneRows;
            a00.Store(s); a01.Store(s + 16); a10.Store(s + 32); a11.Store(s + 48);
            a20.Store(s + 64); a21.Store(s + 80); a30.Store(s + 96); a31.Store(s + 112);
            a40.Store(s + 128); a41.Store(s + 144); a50.Store(s + 160); a51.Store(s + 176);
            a60.Store(s + 192); a61.Store(s + 208); a70.Store(s + 224); a71.Store(s + 240);
            blockMax0 = Avx512F.Max(blockMax0, Avx512F.Max(Avx512F.Max(Avx512F.Max(a00, a10), Avx512F.Max(a20, a30)), Avx512F.Max(Avx512F.Max(a40, a50), Avx512F.Max(a60, a70))));
            blockMax1 = Avx512F.Max(blockMax1, Avx512F.Max(Avx512F.Max(Avx512F.Max(a01, a11), Avx512F.Max(a21, a31)), Avx512F.Max(Avx512F.Max(a41, a51), Avx512F.Max(a61, a71))));
        }
        return (blockMax0, blockMax1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mask(ref Vector512<float> lanes0, ref Vector512<float> lanes1, int position, int end,
        Vector512<int> last0, Vector512<int> last1, Vector512<int> first0, Vector512<int> first1, Vector512<float> minusInfinity)
    {
        if (position >= end)
        {
            lanes0 = minusInfinity;
            lanes1 = minusInfinity;
            return;
        }
        Vector512<int> j = Vector512.Create(position);
        Vector512<int> visible0 = Vector512.GreaterThanOrEqual(last0, j) & Vector512.LessThanOrEqual(first0, j);
        Vector512<int> visible1 = Vector512.GreaterThanOrEqual(last1, j) & Vector512.LessThanOrEqual(first1, j);
        lanes0 = Vector512.ConditionalSelect(visible0.AsSingle(), lanes0, minusInfinity);
        lanes1 = Vector512.ConditionalSelect(visible1.AsSingle(), lanes1, minusInfinity);
    }

    /// <summary>
    /// <c>Oᵀ[i, ·] = Oᵀ[i, ·] · α + Σ_{p &lt; n} V_p[i] · Pᵀ[p, ·]</c>, eight elements i at a time (16 accumulators) while
    /// the block's V rows stream past; each V element is broadcast once and feeds both lane vectors.
    /// </summary>
    private static void LaneValues(float* oT, float* values, int d, int n, float* pT, Vector512<float> alpha0, Vector512<float> alpha1)
    {
        for (int i0 = 0; i0 < d; i0 += 8)
        {
            float* o = oT + i0 * LaneRows;
            Vector512<float> a00 = Vector512.Load(o) * alpha0, a01 = Vector512.Load(o + 16) * alpha1;
            Vector512<float> a10 = Vector512.Load(o + 32) * alpha0, a11 = Vector512.Load(o + 48) * alpha1;
            Vector512<float> a20 = Vector512.Load(o + 64) * alpha0, a21 = Vector512.Load(o + 80) * alpha1;
            Vector512<float> a30 = Vector512.Load(o + 96) * alpha0, a31 = Vector512.Load(o + 112) * alpha1;
            Vector512<float> a40 = Vector512.Load(o + 128) * alpha0, a41 = Vector512.Load(o + 144) * alpha1;
            Vector512<float> a50 = Vector512.Load(o + 160) * alpha0, a51 = Vector512.Load(o + 176) * alpha1;
            Vector512<float> a60 = Vector512.Load(o + 192) * alpha0, a61 = Vector512.Load(o + 208) * alpha1;
            Vector512<float> a70 = Vector512.Load(o + 224) * alpha0, a71 = Vector512.Load(o + 240) * alpha1;
            float* v = values + i0;
            float* w = pT;
            for (int p = 0; p < n; p++, v += d, w += LaneRows)
            {
                Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + 16);
                Vector512<float> x = Vector512.Create(v[0]);
                a00 = Vector512.FusedMultiplyAdd(w0, x, a00); a01 = Vector512.FusedMultiplyAdd(w1, x, a01);
                x = Vector512.Create(v[1]);
                a10 = Vector512.FusedMultiplyAdd(w0, x, a10); a11 = Vector512.FusedMultiplyAdd(w1, x, a11);
                x = Vector512.Create(v[2]);
                a20 = Vector512.FusedMultiplyAdd(w0, x, a20); a21 = Vector512.FusedMultiplyAdd(w1, x, a21);
                x = Vector512.Create(v[3]);
                a30 = Vector512.FusedMultiplyAdd(w0, x, a30); a31 = Vector512.FusedMultiplyAdd(w1, x, a31);
                x = Vector512.Create(v[4]);
                a40 = Vector512.FusedMultiplyAdd(w0, x, a40); a41 = Vector512.FusedMultiplyAdd(w1, x, a41);
                x = Vector512.Create(v[5]);
                a50 = Vector512.FusedMultiplyAdd(w0, x, a50); a51 = Vector512.FusedMultiplyAdd(w1, x, a51);
                x = Vector512.Create(v[6]);
                a60 = Vector512.FusedMultiplyAdd(w0, x, a60); a61 = Vector512.FusedMultiplyAdd(w1, x, a61);
                x = Vector512.Create(v[7]);
                a70 = Vector512.FusedMultiplyAdd(w0, x, a70); a71 = Vector512.FusedMultiplyAdd(w1, x, a71);
            }
            a00.Store(o); a01.Store(o + 16); a10.Store(o + 32); a11.Store(o + 48);
            a20.Store(o + 64); a21.Store(o + 80); a30.Store(o + 96); a31.Store(o + 112);
            a40.Store(o + 128); a41.Store(o + 144); a50.Store(o + 160); a51.Store(o + 176);
            a60.Store(o + 192); a61.Store(o + 208); a70.Store(o + 224); a71.Store(o + 240);
        }
    }
}
