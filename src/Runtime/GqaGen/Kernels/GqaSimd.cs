using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// Vector building blocks shared by the generated and generic kernels: tile reductions that turn one
/// accumulator per position into a vector of scores, the online-softmax step, and tail masks.
/// </summary>
/// <remarks>
/// Public because generated code in user assemblies calls it; not meant to be called directly. Every method
/// is correct on any hardware: where the instruction it is written for is missing it falls back to
/// portable vector code, so a path can be exercised on any machine.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GqaSimd
{
    /// <summary>This thread's buffer for <see cref="PartialBlockScratch"/>, grown on demand.</summary>
    [ThreadStatic]
    private static float[]? t_partialBlock;

    /// <summary>
    /// A buffer of at least <paramref name="length"/> floats, reused by every decode on this thread, into which a
    /// kernel copies the zero-padded K rows of a partial last block. It replaces a per-call <c>stackalloc</c> of up to
    /// 32 KiB (d = 512) that the runtime would zero on every call in assemblies that cannot use <c>[SkipLocalsInit]</c>.
    /// Its contents are unspecified; a kernel writes before it reads and calls nothing that decodes meanwhile.
    /// </summary>
    public static Span<float> PartialBlockScratch(int length)
    {
        float[]? buffer = t_partialBlock;
        if (buffer is null || buffer.Length < length)
            t_partialBlock = buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>This thread's buffer for <see cref="PartialBlockBytes"/>, grown on demand.</summary>
    [ThreadStatic]
    private static byte[]? t_partialBlockBytes;

    /// <summary>
    /// The byte-typed twin of <see cref="PartialBlockScratch"/>, for kernels generic over the storage type
    /// (<see cref="IKvRowFormat"/>): a buffer of at least <paramref name="length"/> bytes, reused by every decode on this
    /// thread, into which a kernel copies the zero-padded K rows of a partial last block (zero bytes are zero elements in
    /// every storage type). Its contents are unspecified; a kernel writes before it reads and calls nothing that decodes meanwhile.
    /// </summary>
    public static Span<byte> PartialBlockBytes(int length)
    {
        byte[]? buffer = t_partialBlockBytes;
        if (buffer is null || buffer.Length < length)
            t_partialBlockBytes = buffer = new byte[length];
        return buffer.AsSpan(0, length);
    }

    /// <summary>
    /// Effectively computes <c>result[i] = Sum(a_i)</c> for sixteen accumulators: the horizontal sums of a
    /// tile of sixteen dot products, in 45 shuffles and adds instead of sixteen separate reductions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sum16(
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7,
        Vector512<float> a8, Vector512<float> a9, Vector512<float> a10, Vector512<float> a11,
        Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        if (!Avx512F.IsSupported)
        {
            return Vector512.Create(
                Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3),
                Vector512.Sum(a4), Vector512.Sum(a5), Vector512.Sum(a6), Vector512.Sum(a7),
                Vector512.Sum(a8), Vector512.Sum(a9), Vector512.Sum(a10), Vector512.Sum(a11),
                Vector512.Sum(a12), Vector512.Sum(a13), Vector512.Sum(a14), Vector512.Sum(a15));
        }

        // The tree leaves element 4i+e holding input 4e+i (a 4×4 transpose), so feed the inputs transposed.
        // Levels 1-2 fold 128-bit lanes across registers, levels 3-4 fold elements within lanes.
        Vector512<float> q0 = FoldLanes(FoldHalves(a0, a4), FoldHalves(a8, a12));
        Vector512<float> q1 = FoldLanes(FoldHalves(a1, a5), FoldHalves(a9, a13));
        Vector512<float> q2 = FoldLanes(FoldHalves(a2, a6), FoldHalves(a10, a14));
        Vector512<float> q3 = FoldLanes(FoldHalves(a3, a7), FoldHalves(a11, a15));
        return FoldElementPairs(FoldElementHalves(q0, q1), FoldElementHalves(q2, q3));

        // [x.L0+x.L2, x.L1+x.L3, y.L0+y.L2, y.L1+y.L3] (Lk: 128-bit lane k).
        static Vector512<float> FoldHalves(Vector512<float> x, Vector512<float> y)
            => Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

        // [x.L0+x.L1, x.L2+x.L3, y.L0+y.L1, y.L2+y.L3]: lane k now holds four partial sums of one input.
        static Vector512<float> FoldLanes(Vector512<float> x, Vector512<float> y)
            => Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

        // Per lane: [x0+x2, x1+x3, y0+y2, y1+y3].
        static Vector512<float> FoldElementHalves(Vector512<float> x, Vector512<float> y)
            => Avx512F.Shuffle(x, y, 0x44) + Avx512F.Shuffle(x, y, 0xEE);

        // Per lane: [x0+x1, x2+x3, y0+y1, y2+y3].
        static Vector512<float> FoldElementPairs(Vector512<float> x, Vector512<float> y)
            => Avx512F.Shuffle(x, y, 0x88) + Avx512F.Shuffle(x, y, 0xDD);
    }

    /// <summary>Effectively computes <c>result[i] = Sum(a_i)</c> for eight 256-bit accumulators (21 shuffles and adds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sum8(
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        if (!Avx.IsSupported)
        {
            return Vector256.Create(
                Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3),
                Vector256.Sum(a4), Vector256.Sum(a5), Vector256.Sum(a6), Vector256.Sum(a7));
        }

        // The tree leaves element 4i+e holding input 2e+i, so feed the inputs in that order.
        Vector256<float> p0 = FoldLanes(a0, a4);
        Vector256<float> p1 = FoldLanes(a1, a5);
        Vector256<float> p2 = FoldLanes(a2, a6);
        Vector256<float> p3 = FoldLanes(a3, a7);
        return FoldElementPairs(FoldElementHalves(p0, p1), FoldElementHalves(p2, p3));

        // [x.L0+x.L1, y.L0+y.L1]: lane 0 holds four partial sums of x, lane 1 of y.
        static Vector256<float> FoldLanes(Vector256<float> x, Vector256<float> y)
            => Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);

        static Vector256<float> FoldElementHalves(Vector256<float> x, Vector256<float> y)
            => Avx.Shuffle(x, y, 0x44) + Avx.Shuffle(x, y, 0xEE);

        static Vector256<float> FoldElementPairs(Vector256<float> x, Vector256<float> y)
            => Avx.Shuffle(x, y, 0x88) + Avx.Shuffle(x, y, 0xDD);
    }

    /// <summary>
    /// One online-softmax step for a tile of eight scores: raises the running maximum to cover the tile, returns
    /// <c>exp(score - max)</c> per lane, rescales the running sum and reports in <paramref name="alpha"/> the factor
    /// by which earlier accumulated outputs must be multiplied. Lanes holding −∞ (masked positions) give 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SoftmaxStep(Vector256<float> scores, ref float runningMax, ref float runningSum, out float alpha)
    {
        float newMax = MathF.Max(runningMax, HorizontalMax(Vector128.Max(scores.GetLower(), scores.GetUpper())));
        alpha = MathF.Exp(runningMax - newMax);
        Vector256<float> p = FastExp.Exp(scores - Vector256.Create(newMax));
        runningSum = runningSum * alpha + Vector256.Sum(p);
        runningMax = newMax;
        return p;
    }

    /// <summary>
    /// The scalar online-softmax step over <paramref name="scores"/>, in place: each score becomes
    /// <c>exp(score - max)</c>; returns the factor for earlier outputs.
    /// </summary>
    public static float SoftmaxStep(Span<float> scores, ref float runningMax, ref float runningSum)
    {
        float newMax = runningMax;
        foreach (float s in scores)
            newMax = MathF.Max(newMax, s);

        float alpha = MathF.Exp(runningMax - newMax);
        float sum = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = MathF.Exp(scores[i] - newMax);
            sum += scores[i];
        }

        runningSum = runningSum * alpha + sum;
        runningMax = newMax;
        return alpha;
    }

    /// <summary>
    /// One online-softmax step over a block of scores, in place: raises the running maximum to cover the block,
    /// turns each score into <c>exp(score - max)</c>, folds their sum into the running sum and returns the factor
    /// by which outputs accumulated before this block must be multiplied. Scores of −∞ (masked positions) give 0.
    /// </summary>
    public static float SoftmaxBlock(Span<float> scores, ref float runningMax, ref float runningSum)
    {
        if (!Vector512.IsHardwareAccelerated || scores.Length % Vector512<float>.Count != 0)
        {
            return Vector256.IsHardwareAccelerated && scores.Length % Vector256<float>.Count == 0
                ? SoftmaxBlock256(scores, ref runningMax, ref runningSum)
                : SoftmaxStep(scores, ref runningMax, ref runningSum);
        }

        ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scores);
        nuint length = (nuint)scores.Length;
        Vector512<float> max = Vector512.Create(runningMax);
        for (nuint i = 0; i < length; i += (nuint)Vector512<float>.Count)
            max = Vector512.Max(max, Vector512.LoadUnsafe(ref s, i));
        Vector256<float> max256 = Vector256.Max(max.GetLower(), max.GetUpper());
        float newMax = HorizontalMax(Vector128.Max(max256.GetLower(), max256.GetUpper()));

        Vector512<float> shift = Vector512.Create(newMax);
        Vector512<float> sum = Vector512<float>.Zero;
        for (nuint i = 0; i < length; i += (nuint)Vector512<float>.Count)
        {
            Vector512<float> p = FastExp.Exp(Vector512.LoadUnsafe(ref s, i) - shift);
            sum += p;
            p.StoreUnsafe(ref s, i);
        }

        float alpha = MathF.Exp(runningMax - newMax);
        runningSum = runningSum * alpha + Vector512.Sum(sum);
        runningMax = newMax;
        return alpha;
    }

    private static float SoftmaxBlock256(Span<float> scores, ref float runningMax, ref float runningSum)
    {
        ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scores);
        nuint length = (nuint)scores.Length;
        Vector256<float> max = Vector256.Create(runningMax);
        for (nuint i = 0; i < length; i += (nuint)Vector256<float>.Count)
            max = Vector256.Max(max, Vector256.LoadUnsafe(ref s, i));
        float newMax = HorizontalMax(Vector128.Max(max.GetLower(), max.GetUpper()));

        Vector256<float> shift = Vector256.Create(newMax);
        Vector256<float> sum = Vector256<float>.Zero;
        for (nuint i = 0; i < length; i += (nuint)Vector256<float>.Count)
        {
            Vector256<float> p = FastExp.Exp(Vector256.LoadUnsafe(ref s, i) - shift);
            sum += p;
            p.StoreUnsafe(ref s, i);
        }

        float alpha = MathF.Exp(runningMax - newMax);
        runningSum = runningSum * alpha + Vector256.Sum(sum);
        runningMax = newMax;
        return alpha;
    }

    /// <summary>
    /// Size of a KV cache (all layers, keys and values) from which decode calls prefetch its rows: a cache this large
    /// cannot stay in the last-level cache between two visits to one layer, since every other layer's rows (and, in a
    /// decoder, the weights) pass through in between, so its rows come from memory. A smaller cache usually stays
    /// cached, and prefetching then only costs instructions.
    /// </summary>
    /// <remarks>Measured on 2026-11-26 (Zen 5, 32 MiB L3): in the decoder on a TinyLlama-shaped model at 4,096
    /// positions, attention took 9.1 ms per token with prefetching and 13.7 ms without (each layer's 8 MiB of K/V was
    /// judged per call, below the old 16 MiB per-call threshold); replaying one 8 MiB layer (the sample table), it
    /// took 265 µs with prefetching and 221 µs without. The whole-cache size tells the two apart.</remarks>
    public const long PrefetchThresholdBytes = 16L << 20;

    /// <summary>Whether decode calls on <paramref name="cache"/> should prefetch K/V rows (see <see cref="PrefetchThresholdBytes"/>).</summary>
    public static bool ShouldPrefetch(KvCache cache) => cache.SizeInBytes >= PrefetchThresholdBytes;

    /// <summary>
    /// Asks the cache hierarchy for <paramref name="rows"/> ahead of use, one prefetch per 64-byte line. Reads
    /// nothing and cannot fault; does nothing where SSE is unavailable.
    /// </summary>
    /// <remarks>
    /// Decode interleaves a lot of arithmetic with its loads, so the out-of-order window alone keeps too few
    /// cache misses in flight to stream K and V at memory speed; asking for rows a couple of blocks ahead,
    /// a tile at a time, overlaps the memory traffic with the arithmetic.
    /// </remarks>
    public static void Prefetch(ReadOnlySpan<float> rows) => Prefetch(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows));

    /// <inheritdoc cref="Prefetch(ReadOnlySpan{float})"/>
    public static unsafe void Prefetch(ReadOnlySpan<byte> rows)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
            return;
        fixed (byte* start = rows)
        {
            byte* line = start, end = start + rows.Length;
            for (; line < end; line += 64)
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(line);
        }
    }

    /// <summary>A mask whose first <paramref name="count"/> lanes are all ones: selects the valid positions of a partial tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FirstLanes256(int count)
        => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    /// <summary>
    /// A mask keeping the last <paramref name="count"/> lanes: for a head of d elements the last vector is loaded
    /// at <c>d - 16</c>, overlapping the previous one, and only its last <c>d % 16</c> lanes are new.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LastLanes512(int count)
        => Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(Vector512<float>.Count - count)).AsSingle();

    /// <inheritdoc cref="LastLanes512(int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LastLanes256(int count)
        => Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(Vector256<float>.Count - count)).AsSingle();

    /// <summary>Writes the final outputs of one head: divides by the softmax sum and records log-sum-exp.</summary>
    public static void FinishHead(Span<float> output, float runningMax, float runningSum, Span<float> logSumExp, int head)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(output, 1f / runningSum, output);
        if (!logSumExp.IsEmpty)
            logSumExp[head] = runningMax + MathF.Log(runningSum);
    }

    /// <summary>Writes the result of attending over no position: zero outputs and a log-sum-exp of −∞.</summary>
    public static void FinishEmpty(Span<float> output, Span<float> logSumExp)
    {
        output.Clear();
        logSumExp.Fill(float.NegativeInfinity);
    }

    /// <summary>
    /// Merges the partial result of another range of positions into <paramref name="output"/>: per head,
    /// <c>out = (e^(a−m)·out + e^(b−m)·other) / (e^(a−m) + e^(b−m))</c> and <c>lse = m + log(e^(a−m) + e^(b−m))</c>, with
    /// a, b the two log-sum-exps and m their maximum (flash-decoding's merge). A part over no position (lse −∞) adds nothing.
    /// </summary>
    /// <param name="headDim">Elements per head, d.</param>
    /// <param name="output">H · d outputs of one part, overwritten with the merged outputs.</param>
    /// <param name="logSumExp">H log-sum-exps of that part, overwritten with the merged ones.</param>
    /// <param name="otherOutput">H · d outputs of the other part.</param>
    /// <param name="otherLogSumExp">H log-sum-exps of the other part.</param>
    public static void MergeInto(int headDim, Span<float> output, Span<float> logSumExp, ReadOnlySpan<float> otherOutput, ReadOnlySpan<float> otherLogSumExp)
    {
        if (output.Length != logSumExp.Length * headDim || otherOutput.Length != output.Length || otherLogSumExp.Length != logSumExp.Length)
            throw new ArgumentException($"Merging needs H·d outputs and H log-sum-exps on both sides; got {output.Length} and {logSumExp.Length}, {otherOutput.Length} and {otherLogSumExp.Length} (d = {headDim}).");
        for (int h = 0; h < logSumExp.Length; h++)
        {
            float a = logSumExp[h], b = otherLogSumExp[h];
            if (float.IsNegativeInfinity(b))
                continue;
            Span<float> head = output.Slice(h * headDim, headDim);
            ReadOnlySpan<float> other = otherOutput.Slice(h * headDim, headDim);
            if (float.IsNegativeInfinity(a))
            {
                other.CopyTo(head);
                logSumExp[h] = b;
                continue;
            }
            float max = MathF.Max(a, b);
            float wa = MathF.Exp(a - max), wb = MathF.Exp(b - max), sum = wa + wb;
            System.Numerics.Tensors.TensorPrimitives.Multiply(head, wa / sum, head);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(other, wb / sum, head, head);
            logSumExp[h] = max + MathF.Log(sum);
        }
    }

    /// <summary>This thread's buffer for <see cref="MergeScratch"/>, grown on demand.</summary>
    [ThreadStatic]
    private static float[]? t_merge;

    /// <summary>
    /// A buffer of at least <paramref name="length"/> floats, reused by every decode on this thread, for the second part's
    /// outputs and log-sum-exps when a decode runs over two slot ranges of a ring (sliding-window) cache and merges them.
    /// Its contents are unspecified.
    /// </summary>
    public static Span<float> MergeScratch(int length)
    {
        float[]? buffer = t_merge;
        if (buffer is null || buffer.Length < length)
            t_merge = buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector128<float> v)
        => MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));
}
