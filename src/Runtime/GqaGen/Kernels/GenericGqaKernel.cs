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
        Span<float> keys = cache.Keys(layer);
        Span<float> values = cache.Values(layer);
        int d = shape.HeadDim;
        // Rows are (group, position, headDim); the position was checked above, so the offset is computed, not re-checked per group.
        for (int g = 0; g < shape.KvGroups; g++)
        {
            int row = (g * cache.Capacity + position) * d;
            key.Slice(g * d, d).CopyTo(keys.Slice(row, d));
            value.Slice(g * d, d).CopyTo(values.Slice(row, d));
        }
        // The spans point into the cache's native memory: keep its finalizer from freeing it until the copy is done.
        GC.KeepAlive(cache);
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
        if (positions.Length == 0)
        {
            GqaSimd.FinishEmpty(output, logSumExp);
            return;
        }

        var args = new DecodeArgs(shape, query, cache.Keys(layer), cache.Values(layer), cache.Capacity, positions, output, logSumExp, GqaSimd.ShouldPrefetch(cache));
        switch (PathFor(shape))
        {
            case GqaKernelPath.Avx512: DecodeVector512(args); break;
            case GqaKernelPath.Avx2: DecodeVector256(args); break;
            default: DecodeScalar(args); break;
        }
        GC.KeepAlive(cache);
    }

    /// <summary>
    /// The scalar path on raw cache regions, for generated kernels: their <c>DecodeScalar</c> forwards here rather than
    /// emitting a per-layout scalar loop (a machine without 128-bit vectors gains little from constant loop bounds).
    /// </summary>
    /// <remarks>Public because generated code in user assemblies calls it; not meant to be called directly. It does not
    /// check the arguments as <see cref="Decode"/> does, but reads and writes through bounds-checked spans only.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void DecodeScalar(GqaShape shape, ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int capacity, KvRange positions, Span<float> output, Span<float> logSumExp)
        => DecodeScalar(new DecodeArgs(shape, query, keys, values, capacity, positions, output, logSumExp, streaming: false));

    /// <summary>Everything one decode call reads and writes, checked by <see cref="GqaGuard"/>.</summary>
    internal readonly ref struct DecodeArgs(GqaShape shape, ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int capacity, KvRange positions, Span<float> output, Span<float> logSumExp, bool streaming)
    {
        public readonly GqaShape Shape = shape;
        public readonly ReadOnlySpan<float> Query = query;
        public readonly ReadOnlySpan<float> Keys = keys;
        public readonly ReadOnlySpan<float> Values = values;
        public readonly int Capacity = capacity;
        public readonly KvRange Positions = positions;
        public readonly Span<float> Output = output;
        public readonly Span<float> LogSumExp = logSumExp;

        /// <summary>Whether to prefetch K/V rows ahead (<see cref="GqaSimd.ShouldPrefetch(KvCache)"/>).</summary>
        public readonly bool Streaming = streaming;

        /// <summary>Offset of the first row in range of group <paramref name="group"/>.</summary>
        public int GroupStart(int group) => (group * Capacity + Positions.Start) * Shape.HeadDim;
    }

    [SkipLocalsInit]
    internal static void DecodeVector256(in DecodeArgs a)
    {
        const int Tile = 8;
        int d = a.Shape.HeadDim, headsPerGroup = a.Shape.HeadsPerGroup, count = a.Positions.Length;
        int lastOffset = d - Tile;
        Vector256<float> lastMask = GqaSimd.LastLanes256(d % Tile == 0 ? Tile : d % Tile);
        Vector256<float> scale = Vector256.Create(a.Shape.Scale);
        Span<float> runningMax = stackalloc float[headsPerGroup];
        Span<float> runningSum = stackalloc float[headsPerGroup];
        Span<float> probabilities = stackalloc float[Tile];
        Span<float> partialKeys = count % Tile == 0 ? default : stackalloc float[Tile * d];
        bool streaming = a.Streaming;

        for (int g = 0; g < a.Shape.KvGroups; g++)
        {
            Span<float> groupOutput = a.Output.Slice(g * headsPerGroup * d, headsPerGroup * d);
            groupOutput.Clear();
            runningMax.Fill(float.NegativeInfinity);
            runningSum.Clear();
            ReadOnlySpan<float> groupKeys = a.Keys.Slice(a.GroupStart(g), count * d);
            ReadOnlySpan<float> groupValues = a.Values.Slice(a.GroupStart(g), count * d);

            for (int t = 0; t < count; t += Tile)
            {
                int n = Math.Min(Tile, count - t);
                scoped ReadOnlySpan<float> tileKeys = groupKeys.Slice(t * d, n * d);
                if (n < Tile)
                {
                    tileKeys.CopyTo(partialKeys);
                    partialKeys.Slice(n * d).Clear();
                    tileKeys = partialKeys;
                }
                ref float k = ref MemoryMarshal.GetReference(tileKeys);
                ref float v = ref MemoryMarshal.GetReference(groupValues.Slice(t * d));
                int ahead = t + GqaKernelNumbers.PrefetchBlocksAhead * GqaKernelNumbers.BlockPositions(d, Tile);
                if (streaming && ahead + Tile <= count)
                {
                    GqaSimd.Prefetch(groupKeys.Slice(ahead * d, Tile * d));
                    GqaSimd.Prefetch(groupValues.Slice(ahead * d, Tile * d));
                }
                Vector256<float> valid = GqaSimd.FirstLanes256(n);

                for (int h = 0; h < headsPerGroup; h++)
                {
                    ref float q = ref MemoryMarshal.GetReference(a.Query.Slice((g * headsPerGroup + h) * d, d));
                    Vector256<float> scores = ScoreTile256(ref q, ref k, d, lastOffset, lastMask) * scale;
                    scores = Vector256.ConditionalSelect(valid, scores, Vector256.Create(float.NegativeInfinity));
                    GqaSimd.SoftmaxStep(scores, ref runningMax[h], ref runningSum[h], out float alpha).StoreUnsafe(ref MemoryMarshal.GetReference(probabilities));
                    AccumulateValues256(groupOutput.Slice(h * d, d), ref v, probabilities, n, alpha, d, lastOffset, lastMask);
                }
            }

            for (int h = 0; h < headsPerGroup; h++)
                GqaSimd.FinishHead(groupOutput.Slice(h * d, d), runningMax[h], runningSum[h], a.LogSumExp, g * headsPerGroup + h);
        }
    }

    /// <summary>Eight dot products of one query row with eight consecutive K rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ScoreTile256(ref float q, ref float k, int d, int lastOffset, Vector256<float> lastMask)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        nuint row = (nuint)d;
        for (int offset = 0; ; offset += Vector256<float>.Count)
        {
            bool last = offset >= lastOffset;
            if (last)
                offset = lastOffset;
            Vector256<float> qv = Vector256.LoadUnsafe(ref q, (nuint)offset);
            if (last)
                qv &= lastMask;
            ref float kr = ref Unsafe.Add(ref k, offset);
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr), qv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, row), qv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 2 * row), qv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 3 * row), qv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 4 * row), qv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 5 * row), qv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 6 * row), qv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref kr, 7 * row), qv, a7);
            if (last)
                break;
        }
        return GqaSimd.Sum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    private static void AccumulateValues256(Span<float> output, ref float v, ReadOnlySpan<float> p, int n, float alpha, int d, int lastOffset, Vector256<float> lastMask)
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
            ref float vr = ref Unsafe.Add(ref v, offset);
            for (int j = 0; j < n; j++)
            {
                Vector256<float> w = Vector256.Create(p[j]);
                o0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref vr), w, o0);
                o1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref vr, 8), w, o1);
                o2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref vr, 16), w, o2);
                o3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref vr, 24), w, o3);
                vr = ref Unsafe.Add(ref vr, d);
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
            ref float vr = ref Unsafe.Add(ref v, offset);
            for (int j = 0; j < n; j++)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref vr), Vector256.Create(p[j]), acc);
                vr = ref Unsafe.Add(ref vr, d);
            }
            if (last)
                acc = Vector256.ConditionalSelect(lastMask, acc, Vector256.LoadUnsafe(ref o, (nuint)offset));
            acc.StoreUnsafe(ref o, (nuint)offset);
            if (last)
                break;
        }
    }

    [SkipLocalsInit]
    internal static void DecodeScalar(in DecodeArgs a)
    {
        const int Tile = 16;
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
            ReadOnlySpan<float> groupKeys = a.Keys.Slice(a.GroupStart(g), count * d);
            ReadOnlySpan<float> groupValues = a.Values.Slice(a.GroupStart(g), count * d);

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
                        ReadOnlySpan<float> k = groupKeys.Slice((t + j) * d, d);
                        float dot = 0;
                        for (int i = 0; i < d; i++)
                            dot += q[i] * k[i];
                        tileScores[j] = dot * scale;
                    }

                    float alpha = GqaSimd.SoftmaxStep(tileScores, ref runningMax[h], ref runningSum[h]);
                    Span<float> o = groupOutput.Slice(h * d, d);
                    for (int i = 0; i < d; i++)
                    {
                        float acc = o[i] * alpha;
                        for (int j = 0; j < n; j++)
                            acc += tileScores[j] * groupValues[(t + j) * d + i];
                        o[i] = acc;
                    }
                }
            }

            for (int h = 0; h < headsPerGroup; h++)
                GqaSimd.FinishHead(groupOutput.Slice(h * d, d), runningMax[h], runningSum[h], a.LogSumExp, g * headsPerGroup + h);
        }
    }
}
