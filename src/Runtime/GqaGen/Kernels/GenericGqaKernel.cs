using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen;

/// <summary>
/// Decode attention for any layout, with the shape as a run-time argument: the fallback for layouts nobody
/// annotated and the baseline the generated kernels are measured against.
/// </summary>
/// <remarks>
/// It runs the generated kernels' algorithm with the shape as run-time loop bounds: per K/V group, blocks of
/// positions; on AVX-512 the scores of four heads × four positions (or one head × sixteen) per register tile,
/// folded by <see cref="GqaSimd.Sum16"/>; an online softmax per head and block; V rows accumulated for two
/// heads at once, four vectors of each in registers. The AVX2 path uses one-head tiles of eight positions and
/// the scalar path plain loops. Head dimensions that are not a multiple of the width use an overlapping,
/// masked last vector. What it cannot do without compile-time shapes (unroll over d, fold addresses into
/// constants, pick tiles per layout) is what the generator adds; see docs/design.md.
/// <para>Its path, tile and step methods are <see cref="MethodImplOptions.AggressiveOptimization"/>, as the generated
/// kernels' are: a decoder calls them from its first token on, and tier-0 code would run until the background tier-1
/// compile lands (see <see cref="GqaSimd"/>). Their branches depend on types and hardware, not on profiles.</para>
/// </remarks>
public static partial class GenericGqaKernel
{
    /// <summary>The instruction-set path <see cref="Decode"/> takes for <paramref name="shape"/> on this machine.</summary>
    public static GqaKernelPath PathFor(GqaShape shape)
        => Vector512.IsHardwareAccelerated && GqaKernelNumbers.VectorPathApplies(shape.HeadDim, Vector512<float>.Count) ? GqaKernelPath.Avx512
         : Vector256.IsHardwareAccelerated && GqaKernelNumbers.VectorPathApplies(shape.HeadDim, Vector256<float>.Count) ? GqaKernelPath.Avx2
         : GqaKernelPath.Scalar;

    /// <summary>Writes one token's keys and values (each <c>KvGroups × HeadDim</c>) at <paramref name="position"/> of <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or the cache holds another layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> or <paramref name="layer"/> is outside the cache.</exception>
    public static void AppendKv(GqaShape shape, KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        GqaGuard.CheckAppend(shape, cache, layer, position, key, value);
        cache.Write(layer, position, key, value);
    }

    /// <summary>
    /// Effectively computes, for each head h of group g = h / (H/G):
    /// <c>output[h] = Σ_p softmax_p(q_h · K[g,p] / √d) · V[g,p]</c> over p in <paramref name="positions"/>.
    /// An empty range writes zeros (and −∞ log-sum-exp); NaN or infinite inputs propagate to the heads they touch.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or the cache holds another layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positions"/> or <paramref name="layer"/> is outside the cache.</exception>
    public static void Decode(GqaShape shape, ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default)
    {
        GqaGuard.CheckDecode(shape, query, cache, layer, positions, output, logSumExp);
        int parts = cache.SlotRanges(cache.Attended(positions), out KvRange first, out KvRange second);
        if (parts == 0)
        {
            GqaSimd.FinishEmpty(output, logSumExp);
            return;
        }

        ReadOnlySpan<byte> keys = cache.KeyBytes(layer), values = cache.ValueBytes(layer);
        bool streaming = GqaSimd.ShouldPrefetch(cache);
        if (parts == 1)
        {
            DecodeSlots(cache.ElementType, new DecodeArgs(shape, query, keys, values, cache.Slots, first, output, logSumExp, streaming));
        }
        else
        {
            // A window that wraps around the ring: decode both slot ranges and merge them by their log-sum-exp.
            Span<float> scratch = GqaSimd.MergeScratch(shape.QueryLength + 2 * shape.Heads);
            Span<float> secondOutput = scratch.Slice(0, shape.QueryLength);
            Span<float> secondLogSumExp = scratch.Slice(shape.QueryLength, shape.Heads);
            Span<float> firstLogSumExp = logSumExp.IsEmpty ? scratch.Slice(shape.QueryLength + shape.Heads, shape.Heads) : logSumExp;
            DecodeSlots(cache.ElementType, new DecodeArgs(shape, query, keys, values, cache.Slots, first, output, firstLogSumExp, streaming));
            DecodeSlots(cache.ElementType, new DecodeArgs(shape, query, keys, values, cache.Slots, second, secondOutput, secondLogSumExp, streaming));
            GqaSimd.MergeInto(shape.HeadDim, output, firstLogSumExp, secondOutput, secondLogSumExp);
        }
        GC.KeepAlive(cache);
    }

    /// <summary>
    /// The scalar path on one layer's raw K/V regions, for generated kernels: their scalar path forwards here rather than
    /// emitting a per-layout scalar loop (a machine without 128-bit vectors gains little from constant loop bounds).
    /// </summary>
    /// <param name="shape">The layout.</param>
    /// <param name="query">H · d query elements.</param>
    /// <param name="keys">One layer's <see cref="KvCache.KeyBytes"/> region, rows of <typeparamref name="TRows"/>.</param>
    /// <param name="values">One layer's <see cref="KvCache.ValueBytes"/> region.</param>
    /// <param name="slots">Rows per group in the regions (<see cref="KvCache.Slots"/>).</param>
    /// <param name="slotRange">The contiguous slots to attend to.</param>
    /// <param name="output">H · d outputs.</param>
    /// <param name="logSumExp">Per-head log-sum-exp, or empty.</param>
    /// <remarks>Public because generated code in user assemblies calls it; not meant to be called directly. It does not
    /// check the arguments as <see cref="Decode"/> does, but reads and writes through bounds-checked spans only.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void DecodeScalar<TRows>(GqaShape shape, ReadOnlySpan<float> query, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values,
        int slots, KvRange slotRange, Span<float> output, Span<float> logSumExp) where TRows : struct, IKvRowFormat
        => DecodeScalar<TRows>(new DecodeArgs(shape, query, keys, values, slots, slotRange, output, logSumExp, streaming: false));

    /// <summary>The fp32 scalar path on float regions (the signature generated code of an earlier version calls).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void DecodeScalar(GqaShape shape, ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int capacity, KvRange positions, Span<float> output, Span<float> logSumExp)
        => DecodeScalar<Float32Rows>(shape, query, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), capacity, positions, output, logSumExp);

    /// <summary>Runs the widest path for the cache's storage type on one contiguous slot range.</summary>
    private static void DecodeSlots(KvElementType elementType, in DecodeArgs a)
    {
        switch (elementType)
        {
            case KvElementType.Float32: DecodePath<Float32Rows>(a); break;
            case KvElementType.Float16: DecodePath<Float16Rows>(a); break;
            case KvElementType.BFloat16: DecodePath<BFloat16Rows>(a); break;
            default: DecodePath<Q8_0Rows>(a); break;
        }
    }

    private static void DecodePath<TRows>(in DecodeArgs a) where TRows : struct, IKvRowFormat
    {
        switch (PathFor(a.Shape))
        {
            case GqaKernelPath.Avx512: DecodeVector512<TRows>(a); break;
            case GqaKernelPath.Avx2: DecodeVector256<TRows>(a); break;
            default: DecodeScalar<TRows>(a); break;
        }
    }

    /// <summary>Everything one decode call reads and writes, checked by <see cref="GqaGuard"/>: one contiguous range of slots.</summary>
    internal readonly ref struct DecodeArgs(GqaShape shape, ReadOnlySpan<float> query, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values,
        int slots, KvRange slotRange, Span<float> output, Span<float> logSumExp, bool streaming)
    {
        public readonly GqaShape Shape = shape;
        public readonly ReadOnlySpan<float> Query = query;

        /// <summary>The layer's K region, (group, slot, row).</summary>
        public readonly ReadOnlySpan<byte> Keys = keys;

        /// <summary>The layer's V region, (group, slot, row).</summary>
        public readonly ReadOnlySpan<byte> Values = values;

        /// <summary>Rows per group in the regions.</summary>
        public readonly int Slots = slots;

        /// <summary>The slots attended to.</summary>
        public readonly KvRange Positions = slotRange;
        public readonly Span<float> Output = output;
        public readonly Span<float> LogSumExp = logSumExp;

        /// <summary>Whether to prefetch K/V rows ahead (<see cref="GqaSimd.ShouldPrefetch(KvCache)"/>).</summary>
        public readonly bool Streaming = streaming;

        /// <summary>Byte offset of the first row in range of group <paramref name="group"/>, rows of <paramref name="rowBytes"/> bytes.</summary>
        public int GroupStart(int group, int rowBytes) => (group * Slots + Positions.Start) * rowBytes;
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeVector256<TRows>(in DecodeArgs a) where TRows : struct, IKvRowFormat
    {
        const int Tile = 8;
        int rowBytes = TRows.RowBytes(a.Shape.HeadDim);
        int d = a.Shape.HeadDim, headsPerGroup = a.Shape.HeadsPerGroup, count = a.Positions.Length;
        int lastOffset = d - Tile;
        Vector256<float> lastMask = GqaSimd.LastLanes256(d % Tile == 0 ? Tile : d % Tile);
        Vector256<float> scale = Vector256.Create(a.Shape.Scale);
        Span<float> runningMax = stackalloc float[headsPerGroup];
        Span<float> runningSum = stackalloc float[headsPerGroup];
        Span<float> probabilities = stackalloc float[Tile];
        Span<byte> partialKeys = count % Tile == 0 ? default : stackalloc byte[Tile * rowBytes];
        bool streaming = a.Streaming;

        for (int g = 0; g < a.Shape.KvGroups; g++)
        {
            Span<float> groupOutput = a.Output.Slice(g * headsPerGroup * d, headsPerGroup * d);
            groupOutput.Clear();
            runningMax.Fill(float.NegativeInfinity);
            runningSum.Clear();
            ReadOnlySpan<byte> groupKeys = a.Keys.Slice(a.GroupStart(g, rowBytes), count * rowBytes);
            ReadOnlySpan<byte> groupValues = a.Values.Slice(a.GroupStart(g, rowBytes), count * rowBytes);

            for (int t = 0; t < count; t += Tile)
            {
                int n = Math.Min(Tile, count - t);
                scoped ReadOnlySpan<byte> tileKeys = groupKeys.Slice(t * rowBytes, n * rowBytes);
                if (n < Tile)
                {
                    tileKeys.CopyTo(partialKeys);
                    partialKeys.Slice(n * rowBytes).Clear();
                    tileKeys = partialKeys;
                }
                ref byte k = ref MemoryMarshal.GetReference(tileKeys);
                ref byte v = ref MemoryMarshal.GetReference(groupValues.Slice(t * rowBytes));
                int ahead = t + GqaKernelNumbers.PrefetchBlocksAhead * GqaKernelNumbers.BlockPositions(d, Tile);
                if (streaming && ahead + Tile <= count)
                {
                    GqaSimd.Prefetch(groupKeys.Slice(ahead * rowBytes, Tile * rowBytes));
                    GqaSimd.Prefetch(groupValues.Slice(ahead * rowBytes, Tile * rowBytes));
                }
                Vector256<float> valid = GqaSimd.FirstLanes256(n);

                for (int h = 0; h < headsPerGroup; h++)
                {
                    ref float q = ref MemoryMarshal.GetReference(a.Query.Slice((g * headsPerGroup + h) * d, d));
                    Vector256<float> scores = ScoreTile256<TRows>(ref q, ref k, rowBytes, lastOffset, lastMask) * scale;
                    scores = Vector256.ConditionalSelect(valid, scores, Vector256.Create(float.NegativeInfinity));
                    GqaSimd.SoftmaxStep(scores, ref runningMax[h], ref runningSum[h], out float alpha).StoreUnsafe(ref MemoryMarshal.GetReference(probabilities));
                    AccumulateValues256<TRows>(groupOutput.Slice(h * d, d), ref v, probabilities, n, alpha, d, rowBytes, lastOffset, lastMask);
                }
            }

            for (int h = 0; h < headsPerGroup; h++)
                GqaSimd.FinishHead(groupOutput.Slice(h * d, d), runningMax[h], runningSum[h], a.LogSumExp, g * headsPerGroup + h);
        }
    }

    /// <summary>Eight dot products of one query row with eight consecutive K rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ScoreTile256<TRows>(ref float q, ref byte k, int rowBytes, int lastOffset, Vector256<float> lastMask) where TRows : struct, IKvRowFormat
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        ref byte k1 = ref Unsafe.Add(ref k, rowBytes), k2 = ref Unsafe.Add(ref k, 2 * rowBytes), k3 = ref Unsafe.Add(ref k, 3 * rowBytes);
        ref byte k4 = ref Unsafe.Add(ref k, 4 * rowBytes), k5 = ref Unsafe.Add(ref k, 5 * rowBytes), k6 = ref Unsafe.Add(ref k, 6 * rowBytes), k7 = ref Unsafe.Add(ref k, 7 * rowBytes);
        for (int offset = 0; ; offset += Vector256<float>.Count)
        {
            bool last = offset >= lastOffset;
            if (last)
                offset = lastOffset;
            Vector256<float> qv = Vector256.LoadUnsafe(ref q, (nuint)offset);
            if (last)
                qv &= lastMask;
            a0 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k, offset), qv, a0);
            a1 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k1, offset), qv, a1);
            a2 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k2, offset), qv, a2);
            a3 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k3, offset), qv, a3);
            a4 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k4, offset), qv, a4);
            a5 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k5, offset), qv, a5);
            a6 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k6, offset), qv, a6);
            a7 = Vector256.FusedMultiplyAdd(TRows.Load256(ref k7, offset), qv, a7);
            if (last)
                break;
        }
        return GqaSimd.Sum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateValues256<TRows>(Span<float> output, ref byte v, ReadOnlySpan<float> p, int n, float alpha, int d, int rowBytes, int lastOffset, Vector256<float> lastMask)
        where TRows : struct, IKvRowFormat
    {
        ref float o = ref MemoryMarshal.GetReference(output);
        Vector256<float> scale = Vector256.Create(alpha);
        int offset = 0;
        for (; offset + 4 * Vector256<float>.Count <= d; offset += 4 * Vector256<float>.Count)
        {
            nuint at = (nuint)offset;
            Vector256<float> o0 = Vector256.LoadUnsafe(ref o, at) * scale;
            Vector256<float> o1 = Vector256.LoadUnsafe(ref o, at + 8) * scale;
            Vector256<float> o2 = Vector256.LoadUnsafe(ref o, at + 16) * scale;
            Vector256<float> o3 = Vector256.LoadUnsafe(ref o, at + 24) * scale;
            ref byte vr = ref v;
            for (int j = 0; j < n; j++)
            {
                Vector256<float> w = Vector256.Create(p[j]);
                o0 = Vector256.FusedMultiplyAdd(TRows.Load256(ref vr, offset), w, o0);
                o1 = Vector256.FusedMultiplyAdd(TRows.Load256(ref vr, offset + 8), w, o1);
                o2 = Vector256.FusedMultiplyAdd(TRows.Load256(ref vr, offset + 16), w, o2);
                o3 = Vector256.FusedMultiplyAdd(TRows.Load256(ref vr, offset + 24), w, o3);
                vr = ref Unsafe.Add(ref vr, rowBytes);
            }
            o0.StoreUnsafe(ref o, at);
            o1.StoreUnsafe(ref o, at + 8);
            o2.StoreUnsafe(ref o, at + 16);
            o3.StoreUnsafe(ref o, at + 24);
        }

        for (; offset < d; offset += Vector256<float>.Count)
        {
            bool last = offset + Vector256<float>.Count > d;
            if (last)
                offset = lastOffset;
            Vector256<float> acc = Vector256.LoadUnsafe(ref o, (nuint)offset) * scale;
            ref byte vr = ref v;
            for (int j = 0; j < n; j++)
            {
                acc = Vector256.FusedMultiplyAdd(TRows.Load256(ref vr, offset), Vector256.Create(p[j]), acc);
                vr = ref Unsafe.Add(ref vr, rowBytes);
            }
            if (last)
                acc = Vector256.ConditionalSelect(lastMask, acc, Vector256.LoadUnsafe(ref o, (nuint)offset));
            acc.StoreUnsafe(ref o, (nuint)offset);
            if (last)
                break;
        }
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeScalar<TRows>(in DecodeArgs a) where TRows : struct, IKvRowFormat
    {
        const int Tile = 16;
        int rowBytes = TRows.RowBytes(a.Shape.HeadDim);
        int d = a.Shape.HeadDim, headsPerGroup = a.Shape.HeadsPerGroup, count = a.Positions.Length;
        float scale = a.Shape.Scale;
        Span<float> runningMax = stackalloc float[headsPerGroup];
        Span<float> runningSum = stackalloc float[headsPerGroup];
        Span<float> scores = stackalloc float[Tile];

        for (int g = 0; g < a.Shape.KvGroups; g++)
        {
            Span<float> groupOutput = a.Output.Slice(g * headsPerGroup * d, headsPerGroup * d);
            groupOutput.Clear();
            runningMax.Fill(float.NegativeInfinity);
            runningSum.Clear();
            ReadOnlySpan<byte> groupKeys = a.Keys.Slice(a.GroupStart(g, rowBytes), count * rowBytes);
            ReadOnlySpan<byte> groupValues = a.Values.Slice(a.GroupStart(g, rowBytes), count * rowBytes);

            // Stepping by n, not Tile, keeps t ≤ count: no overflow for ranges near int.MaxValue (d = 1).
            for (int t = 0, n; t < count; t += n)
            {
                n = Math.Min(Tile, count - t);
                Span<float> tileScores = scores.Slice(0, n);
                for (int h = 0; h < headsPerGroup; h++)
                {
                    ReadOnlySpan<float> q = a.Query.Slice((g * headsPerGroup + h) * d, d);
                    for (int j = 0; j < n; j++)
                    {
                        ref byte k = ref MemoryMarshal.GetReference(groupKeys.Slice((t + j) * rowBytes, rowBytes));
                        float dot = 0;
                        for (int i = 0; i < d; i++)
                            dot += q[i] * TRows.Load(ref k, i);
                        tileScores[j] = dot * scale;
                    }

                    float alpha = GqaSimd.SoftmaxStep(tileScores, ref runningMax[h], ref runningSum[h]);
                    Span<float> o = groupOutput.Slice(h * d, d);
                    ref byte v = ref MemoryMarshal.GetReference(groupValues.Slice(t * rowBytes, n * rowBytes));
                    for (int i = 0; i < d; i++)
                    {
                        float acc = o[i] * alpha;
                        for (int j = 0; j < n; j++)
                            acc += tileScores[j] * TRows.Load(ref Unsafe.Add(ref v, j * rowBytes), i);
                        o[i] = acc;
                    }
                }
            }

            for (int h = 0; h < headsPerGroup; h++)
                GqaSimd.FinishHead(groupOutput.Slice(h * d, d), runningMax[h], runningSum[h], a.LogSumExp, g * headsPerGroup + h);
        }
    }
}
