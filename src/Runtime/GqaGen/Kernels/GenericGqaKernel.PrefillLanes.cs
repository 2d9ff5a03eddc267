using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen;

// The vector-path prefill tile with the query rows in vector lanes: a tile's query rows (tokens × the heads of one
// group) fill the lanes of two vectors, and every step of the tile is a vertical operation on them. Scores S = Q·Kᵀ are
// outer products (a row of Qᵀ times one broadcast K element), so no dot product is reduced across lanes; the online
// softmax keeps each row's running max and sum in a lane, so it has no per-row scalar work; O = O·α + P·V accumulates
// Oᵀ the same way from broadcast V elements. Each K and V element loaded feeds all the tile's rows at once. Broadcasts
// need singles in memory, so fp16, bf16 and q8_0 blocks are widened into an fp32 scratch block first, once per block
// and tile (about one widening instruction per 32 of the block's FMAs at d = 128). This file is the tile; the
// width-specific steps are Lanes512 (AVX-512, 32 rows) and Lanes256 (AVX2, 16 rows).
public static unsafe partial class GenericGqaKernel
{
    /// <summary>K/V positions per block of a lane tile: Sᵀ for a block is 64 × 32 floats (8 KiB) on AVX-512, and a
    /// block's V rows (32 KiB at d = 128) are walked once per few output elements while they sit in L1/L2. Blocks of
    /// 16, 32 and 128 positions measured the same within noise (Llama-3-8B layout, 2,048 tokens, 2026-12-04).</summary>
    internal const int LaneBlock = 64;

    /// <summary>Which lane tile takes this prefill (<see cref="GqaKernelNumbers.PrefillLaneTileApplies"/> on the
    /// path's width), or <see cref="PrefillLanes.None"/>: the row tile (PrefillTile) then runs.</summary>
    private static PrefillLanes LaneTileFor(GqaKernelPath path, int headDim, int headsPerGroup) => path switch
    {
        GqaKernelPath.Avx512 when Lanes512.Applies && GqaKernelNumbers.PrefillLaneTileApplies(headDim, headsPerGroup, GqaKernelNumbers.Avx512Width) => PrefillLanes.Vector512,
        GqaKernelPath.Avx2 when Lanes256.Applies && GqaKernelNumbers.PrefillLaneTileApplies(headDim, headsPerGroup, GqaKernelNumbers.Avx2Width) => PrefillLanes.Vector256,
        _ => PrefillLanes.None,
    };

    /// <summary>The tile a prefill's work items run.</summary>
    private enum PrefillLanes
    {
        None,
        Vector512,
        Vector256,
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrefillLaneTile<TRows, TDims, TLanes>(ref PrefillJob job, int group, int tile)
        where TRows : struct, IKvRowFormat
        where TDims : struct, IPrefillDims
        where TLanes : struct, ILaneSteps
    {
        int lanes = TLanes.Rows;
        int d = TDims.HeadDim > 0 ? TDims.HeadDim : job.Shape.HeadDim;
        int headsPerGroup = TDims.HeadsPerGroup > 0 ? TDims.HeadsPerGroup : job.Shape.HeadsPerGroup;
        int queryLength = job.Shape.Heads * d;
        int firstToken = tile * job.TileTokens;
        int tokens = Math.Min(job.TileTokens, job.Count - firstToken);
        int rows = tokens * headsPerGroup;

        // Scratch: Qᵀ and Oᵀ (d × lanes each), Sᵀ (block × lanes), and for widened formats a block of K and one of V
        // rows as singles. Per lane, on the stack: position, first visible position, running max and sum, the block's
        // max and α.
        bool widens = typeof(TRows) != typeof(Float32Rows);
        int rowBytes = TRows.RowBytes(d);
        int* laneLast = stackalloc int[lanes];
        int* laneFirst = stackalloc int[lanes];
        float* state = stackalloc float[4 * lanes];
        float* runningMax = state, runningSum = state + lanes, blockMax = state + 2 * lanes, alpha = state + 3 * lanes;
        Span<float> scratch = PrefillScratch(2 * d * lanes + LaneBlock * lanes + (widens ? 2 * LaneBlock * d : 0));
        fixed (float* scratchStart = scratch)
        {
            float* qT = scratchStart, oT = qT + d * lanes, sT = oT + d * lanes;
            float* wideKeys = sT + LaneBlock * lanes, wideValues = wideKeys + LaneBlock * d;

            // Qᵀ[i, r] = q_r[i] / √d (the softmax scale folded in), lane r = t · (H/G) + h. Lanes past the tile's rows
            // hold zero queries at the last token's position: finite scores, outputs never written.
            float scale = job.Shape.Scale;
            for (int r = 0; r < lanes; r++)
            {
                float* q = job.Queries + (long)(firstToken + r / headsPerGroup) * queryLength + (group * headsPerGroup + r % headsPerGroup) * d;
                if (r < rows)
                {
                    for (int i = 0; i < d; i++)
                        qT[i * lanes + r] = q[i] * scale;
                }
                else
                {
                    for (int i = 0; i < d; i++)
                        qT[i * lanes + r] = 0;
                }
            }
            new Span<float>(oT, d * lanes).Clear();

            // Each lane's position and first visible position (window), for the masks; the online softmax's state.
            int firstPosition = job.FirstPosition + firstToken, lastPosition = firstPosition + tokens - 1;
            int window = job.Window;
            for (int r = 0; r < lanes; r++)
            {
                int position = firstPosition + Math.Min(r / headsPerGroup, tokens - 1);
                laneLast[r] = position;
                laneFirst[r] = WindowStart(position, window);
                runningMax[r] = float.NegativeInfinity;
                runningSum[r] = 0;
            }

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
                byte* blockKeys = regionKeys + (long)slot * rowBytes, blockValues = regionValues + (long)slot * rowBytes;
                float* keys = (float*)blockKeys, values = (float*)blockValues;
                if (widens)
                {
                    WidenRows<TRows>(blockKeys, rowBytes, n, d, wideKeys);
                    WidenRows<TRows>(blockValues, rowBytes, n, d, wideValues);
                    keys = wideKeys;
                    values = wideValues;
                }

                TLanes.Scores(qT, keys, d, b, n, inside, sT, laneLast, laneFirst, blockMax);
                TLanes.Softmax(sT, n, runningMax, runningSum, blockMax, alpha);
                if (inside || AllFinite(values, n * d))
                    TLanes.Values(oT, values, d, n, sT, alpha);
                else
                    LaneValuesVisible(oT, values, d, n, sT, alpha, lanes, b, laneFirst, laneLast);
            }

            // Normalize each row and write it to its token's head.
            for (int r = 0; r < rows; r++)
            {
                float* destination = job.Output + (long)(firstToken + r / headsPerGroup) * queryLength + (group * headsPerGroup + r % headsPerGroup) * d;
                float inverse = 1f / runningSum[r];
                for (int i = 0; i < d; i++)
                    destination[i] = oT[i * lanes + r] * inverse;
            }
        }
    }

    /// <summary>
    /// The value step of a block that crosses some lane's limits and holds a NaN or infinite V element, one lane at a
    /// time over the positions it sees only: the vector step would add 0 · NaN = NaN for a masked position. Slow, and
    /// only for such blocks.
    /// </summary>
    private static void LaneValuesVisible(float* oT, float* values, int d, int n, float* pT, float* alpha, int lanes, int b, int* laneFirst, int* laneLast)
    {
        for (int r = 0; r < lanes; r++)
        {
            for (int i = 0; i < d; i++)
                oT[i * lanes + r] *= alpha[r];
            int from = Math.Max(laneFirst[r] - b, 0), to = Math.Min(laneLast[r] + 1 - b, n);
            for (int p = from; p < to; p++)
            {
                float w = pT[p * lanes + r];
                for (int i = 0; i < d; i++)
                    oT[i * lanes + r] += w * values[p * d + i];
            }
        }
    }

    /// <summary>Whether every one of <paramref name="length"/> floats is finite (x − x is 0 for finite x, NaN otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool AllFinite(float* values, int length)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> sum = Vector256<float>.Zero;
            for (; i + 8 <= length; i += 8)
            {
                Vector256<float> v = Vector256.Load(values + i);
                sum += v - v;
            }
            if (!Vector256.EqualsAll(sum, Vector256<float>.Zero))
                return false;
        }
        for (; i < length; i++)
        {
            if (!float.IsFinite(values[i]))
                return false;
        }
        return true;
    }

    /// <summary>Widens <paramref name="n"/> rows of <paramref name="d"/> elements (d a multiple of 8) to singles, row
    /// after row, 16 at a time where Vector512 is accelerated and 8 at a time otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidenRows<TRows>(byte* rows, int rowBytes, int n, int d, float* destination)
        where TRows : struct, IKvRowFormat
    {
        for (int j = 0; j < n; j++, rows += rowBytes, destination += d)
        {
            ref byte row = ref Unsafe.AsRef<byte>(rows);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= d; i += 16)
                    TRows.Load512(ref row, i).Store(destination + i);
            }
            for (; i < d; i += 8)
                TRows.Load256(ref row, i).Store(destination + i);
        }
    }
}
