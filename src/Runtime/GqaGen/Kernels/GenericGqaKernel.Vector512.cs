using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen;

// The AVX-512 path of the generic kernel: the generated kernels' blocked algorithm and register tiles,
// with the head dimension and heads per group as run-time loop bounds.
public static partial class GenericGqaKernel
{
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeVector512<TRows>(in DecodeArgs a) where TRows : struct, IKvRowFormat
    {
        const int Tile = 16;
        int rowBytes = TRows.RowBytes(a.Shape.HeadDim);
        int d = a.Shape.HeadDim, headsPerGroup = a.Shape.HeadsPerGroup, count = a.Positions.Length;
        int block = GqaKernelNumbers.BlockPositions(d, Tile);
        int lastOffset = d - Tile;
        Vector512<float> lastMask = GqaSimd.LastLanes512(d % Tile == 0 ? Tile : d % Tile);
        Vector512<float> scale = Vector512.Create(a.Shape.Scale);
        Span<float> runningMax = stackalloc float[headsPerGroup];
        Span<float> runningSum = stackalloc float[headsPerGroup];
        Span<float> alphas = stackalloc float[headsPerGroup];
        Span<float> weights = stackalloc float[headsPerGroup * block];
        Span<byte> partialKeys = count % block == 0 ? default : stackalloc byte[block * rowBytes];
        ref float s = ref MemoryMarshal.GetReference(weights);
        bool streaming = a.Streaming;

        for (int g = 0; g < a.Shape.KvGroups; g++)
        {
            Span<float> groupOutput = a.Output.Slice(g * headsPerGroup * d, headsPerGroup * d);
            groupOutput.Clear();
            runningMax.Fill(float.NegativeInfinity);
            runningSum.Clear();
            ref float q = ref MemoryMarshal.GetReference(a.Query.Slice(g * headsPerGroup * d, headsPerGroup * d));
            ref float o = ref MemoryMarshal.GetReference(groupOutput);
            ReadOnlySpan<byte> groupKeys = a.Keys.Slice(a.GroupStart(g, rowBytes), count * rowBytes);
            ReadOnlySpan<byte> groupValues = a.Values.Slice(a.GroupStart(g, rowBytes), count * rowBytes);

            for (int b = 0; b < count; b += block)
            {
                int n = Math.Min(block, count - b);
                int scored = (n + Tile - 1) & ~(Tile - 1);
                scoped ReadOnlySpan<byte> blockKeys = groupKeys.Slice(b * rowBytes, n * rowBytes);
                if (n < block)
                {
                    blockKeys.CopyTo(partialKeys);
                    partialKeys.Slice(n * rowBytes).Clear();
                    blockKeys = partialKeys;
                }
                ref byte k = ref MemoryMarshal.GetReference(blockKeys);
                ref byte v = ref MemoryMarshal.GetReference(groupValues.Slice(b * rowBytes));
                bool prefetch = streaming && b + (GqaKernelNumbers.PrefetchBlocksAhead + 1) * block <= count;

                for (int p0 = 0; p0 < scored; p0 += Tile)
                {
                    ref byte kRows = ref Unsafe.Add(ref k, p0 * rowBytes);
                    int h = 0;
                    for (; h + 4 <= headsPerGroup; h += 4)
                    {
                        for (int sub = 0; sub < Tile; sub += 4)
                        {
                            // While the first head tile scores its rows, ask for the same rows two blocks ahead, a few at a time.
                            if (prefetch && h == 0)
                                PrefetchRows(groupKeys, groupValues, (b + GqaKernelNumbers.PrefetchBlocksAhead * block + p0 + sub) * rowBytes, 4 * rowBytes);
                            Vector512<float> scores = ScoreTile4x4<TRows>(ref Unsafe.Add(ref q, h * d), ref Unsafe.Add(ref kRows, sub * rowBytes), d, rowBytes, lastOffset, lastMask) * scale;
                            for (int i = 0; i < 4; i++)
                                Vector128.StoreUnsafe(Lane(scores, i), ref s, (nuint)((h + i) * block + p0 + sub));
                        }
                    }
                    for (; h < headsPerGroup; h++)
                    {
                        if (prefetch && h == 0)
                            PrefetchRows(groupKeys, groupValues, (b + GqaKernelNumbers.PrefetchBlocksAhead * block + p0) * rowBytes, Tile * rowBytes);
                        Vector512<float> scores = ScoreTile1x16<TRows>(ref Unsafe.Add(ref q, h * d), ref kRows, rowBytes, lastOffset, lastMask) * scale;
                        scores.StoreUnsafe(ref s, (nuint)(h * block + p0));
                    }
                }

                for (int h = 0; h < headsPerGroup; h++)
                {
                    if (n < scored)
                        weights.Slice(h * block + n, scored - n).Fill(float.NegativeInfinity);
                    alphas[h] = GqaSimd.SoftmaxBlock(weights.Slice(h * block, scored), ref runningMax[h], ref runningSum[h]);
                }

                int head = 0;
                for (; head + 2 <= headsPerGroup; head += 2)
                    AccumulateValues2<TRows>(ref Unsafe.Add(ref o, head * d), ref v, ref Unsafe.Add(ref s, head * block), block, n, alphas[head], alphas[head + 1], d, rowBytes, lastOffset, lastMask);
                for (; head < headsPerGroup; head++)
                    AccumulateValues1<TRows>(ref Unsafe.Add(ref o, head * d), ref v, ref Unsafe.Add(ref s, head * block), n, alphas[head], d, rowBytes, lastOffset, lastMask);
            }

            for (int h = 0; h < headsPerGroup; h++)
                GqaSimd.FinishHead(groupOutput.Slice(h * d, d), runningMax[h], runningSum[h], a.LogSumExp, g * headsPerGroup + h);
        }
    }

    private static void PrefetchRows(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int start, int length)
    {
        GqaSimd.Prefetch(keys.Slice(start, length));
        GqaSimd.Prefetch(values.Slice(start, length));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Lane(Vector512<float> v, int i) => i switch
    {
        0 => v.GetLower().GetLower(),
        1 => v.GetLower().GetUpper(),
        2 => v.GetUpper().GetLower(),
        _ => v.GetUpper().GetUpper(),
    };

    /// <summary>4 heads × 4 positions: lane 4h + p holds head h's score at position p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ScoreTile4x4<TRows>(ref float q, ref byte k, int d, int rowBytes, int lastOffset, Vector512<float> lastMask) where TRows : struct, IKvRowFormat
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        nuint row = (nuint)d;
        ref byte k1 = ref Unsafe.Add(ref k, rowBytes), k2 = ref Unsafe.Add(ref k, 2 * rowBytes), k3 = ref Unsafe.Add(ref k, 3 * rowBytes);
        for (int offset = 0; ; offset += Vector512<float>.Count)
        {
            bool last = offset >= lastOffset;
            if (last)
                offset = lastOffset;
            ref float qr = ref Unsafe.Add(ref q, offset);
            Vector512<float> q0 = Vector512.LoadUnsafe(ref qr), q1 = Vector512.LoadUnsafe(ref qr, row);
            Vector512<float> q2 = Vector512.LoadUnsafe(ref qr, 2 * row), q3 = Vector512.LoadUnsafe(ref qr, 3 * row);
            if (last)
            {
                q0 &= lastMask;
                q1 &= lastMask;
                q2 &= lastMask;
                q3 &= lastMask;
            }
            Vector512<float> kv0 = TRows.Load512(ref k, offset), kv1 = TRows.Load512(ref k1, offset);
            Vector512<float> kv2 = TRows.Load512(ref k2, offset), kv3 = TRows.Load512(ref k3, offset);
            a00 = Vector512.FusedMultiplyAdd(q0, kv0, a00); a01 = Vector512.FusedMultiplyAdd(q0, kv1, a01);
            a02 = Vector512.FusedMultiplyAdd(q0, kv2, a02); a03 = Vector512.FusedMultiplyAdd(q0, kv3, a03);
            a10 = Vector512.FusedMultiplyAdd(q1, kv0, a10); a11 = Vector512.FusedMultiplyAdd(q1, kv1, a11);
            a12 = Vector512.FusedMultiplyAdd(q1, kv2, a12); a13 = Vector512.FusedMultiplyAdd(q1, kv3, a13);
            a20 = Vector512.FusedMultiplyAdd(q2, kv0, a20); a21 = Vector512.FusedMultiplyAdd(q2, kv1, a21);
            a22 = Vector512.FusedMultiplyAdd(q2, kv2, a22); a23 = Vector512.FusedMultiplyAdd(q2, kv3, a23);
            a30 = Vector512.FusedMultiplyAdd(q3, kv0, a30); a31 = Vector512.FusedMultiplyAdd(q3, kv1, a31);
            a32 = Vector512.FusedMultiplyAdd(q3, kv2, a32); a33 = Vector512.FusedMultiplyAdd(q3, kv3, a33);
            if (last)
                break;
        }
        return GqaSimd.Sum16(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33);
    }

    /// <summary>1 head × 16 positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ScoreTile1x16<TRows>(ref float q, ref byte k, int rowBytes, int lastOffset, Vector512<float> lastMask) where TRows : struct, IKvRowFormat
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int offset = 0; ; offset += Vector512<float>.Count)
        {
            bool last = offset >= lastOffset;
            if (last)
                offset = lastOffset;
            Vector512<float> qv = Vector512.LoadUnsafe(ref q, (nuint)offset);
            if (last)
                qv &= lastMask;
            a0 = Vector512.FusedMultiplyAdd(TRows.Load512(ref k, offset), qv, a0);
            a1 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, rowBytes), offset), qv, a1);
            a2 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 2 * rowBytes), offset), qv, a2);
            a3 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 3 * rowBytes), offset), qv, a3);
            a4 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 4 * rowBytes), offset), qv, a4);
            a5 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 5 * rowBytes), offset), qv, a5);
            a6 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 6 * rowBytes), offset), qv, a6);
            a7 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 7 * rowBytes), offset), qv, a7);
            a8 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 8 * rowBytes), offset), qv, a8);
            a9 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 9 * rowBytes), offset), qv, a9);
            a10 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 10 * rowBytes), offset), qv, a10);
            a11 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 11 * rowBytes), offset), qv, a11);
            a12 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 12 * rowBytes), offset), qv, a12);
            a13 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 13 * rowBytes), offset), qv, a13);
            a14 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 14 * rowBytes), offset), qv, a14);
            a15 = Vector512.FusedMultiplyAdd(TRows.Load512(ref Unsafe.Add(ref k, 15 * rowBytes), offset), qv, a15);
            if (last)
                break;
        }
        return GqaSimd.Sum16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }

    /// <summary>Two heads: output = output · alpha + Σ_j w[j] · V[j], four vectors of each head in registers, each V vector used twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateValues2<TRows>(ref float o, ref byte v, ref float w, int wStride, int n, float alpha0, float alpha1, int d, int rowBytes, int lastOffset, Vector512<float> lastMask)
        where TRows : struct, IKvRowFormat
    {
        const int Step = 4 * 16;
        Vector512<float> scale0 = Vector512.Create(alpha0), scale1 = Vector512.Create(alpha1);
        ref float o1 = ref Unsafe.Add(ref o, d);
        int offset = 0;
        for (; offset + Step <= d; offset += Step)
        {
            nuint at = (nuint)offset;
            Vector512<float> x0 = Vector512.LoadUnsafe(ref o, at) * scale0, x1 = Vector512.LoadUnsafe(ref o, at + 16) * scale0;
            Vector512<float> x2 = Vector512.LoadUnsafe(ref o, at + 32) * scale0, x3 = Vector512.LoadUnsafe(ref o, at + 48) * scale0;
            Vector512<float> y0 = Vector512.LoadUnsafe(ref o1, at) * scale1, y1 = Vector512.LoadUnsafe(ref o1, at + 16) * scale1;
            Vector512<float> y2 = Vector512.LoadUnsafe(ref o1, at + 32) * scale1, y3 = Vector512.LoadUnsafe(ref o1, at + 48) * scale1;
            ref byte row = ref v;
            for (int j = 0; j < n; j++)
            {
                Vector512<float> w0 = Vector512.Create(Unsafe.Add(ref w, j)), w1 = Vector512.Create(Unsafe.Add(ref w, wStride + j));
                Vector512<float> v0 = TRows.Load512(ref row, offset), v1 = TRows.Load512(ref row, offset + 16);
                Vector512<float> v2 = TRows.Load512(ref row, offset + 32), v3 = TRows.Load512(ref row, offset + 48);
                x0 = Vector512.FusedMultiplyAdd(v0, w0, x0); y0 = Vector512.FusedMultiplyAdd(v0, w1, y0);
                x1 = Vector512.FusedMultiplyAdd(v1, w0, x1); y1 = Vector512.FusedMultiplyAdd(v1, w1, y1);
                x2 = Vector512.FusedMultiplyAdd(v2, w0, x2); y2 = Vector512.FusedMultiplyAdd(v2, w1, y2);
                x3 = Vector512.FusedMultiplyAdd(v3, w0, x3); y3 = Vector512.FusedMultiplyAdd(v3, w1, y3);
                row = ref Unsafe.Add(ref row, rowBytes);
            }
            x0.StoreUnsafe(ref o, at); x1.StoreUnsafe(ref o, at + 16); x2.StoreUnsafe(ref o, at + 32); x3.StoreUnsafe(ref o, at + 48);
            y0.StoreUnsafe(ref o1, at); y1.StoreUnsafe(ref o1, at + 16); y2.StoreUnsafe(ref o1, at + 32); y3.StoreUnsafe(ref o1, at + 48);
        }

        // Remaining whole vectors, then an overlapping last vector whose already-finished lanes are kept.
        for (; offset < d; offset += Vector512<float>.Count)
        {
            bool last = offset + Vector512<float>.Count > d;
            if (last)
                offset = lastOffset;
            nuint at = (nuint)offset;
            Vector512<float> x = Vector512.LoadUnsafe(ref o, at) * scale0, y = Vector512.LoadUnsafe(ref o1, at) * scale1;
            ref byte row = ref v;
            for (int j = 0; j < n; j++)
            {
                Vector512<float> vj = TRows.Load512(ref row, offset);
                x = Vector512.FusedMultiplyAdd(vj, Vector512.Create(Unsafe.Add(ref w, j)), x);
                y = Vector512.FusedMultiplyAdd(vj, Vector512.Create(Unsafe.Add(ref w, wStride + j)), y);
                row = ref Unsafe.Add(ref row, rowBytes);
            }
            if (last)
            {
                x = Vector512.ConditionalSelect(lastMask, x, Vector512.LoadUnsafe(ref o, at));
                y = Vector512.ConditionalSelect(lastMask, y, Vector512.LoadUnsafe(ref o1, at));
            }
            x.StoreUnsafe(ref o, at);
            y.StoreUnsafe(ref o1, at);
            if (last)
                break;
        }
    }

    /// <summary>One head: output = output · alpha + Σ_j w[j] · V[j], four vectors at a time in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateValues1<TRows>(ref float o, ref byte v, ref float w, int n, float alpha, int d, int rowBytes, int lastOffset, Vector512<float> lastMask)
        where TRows : struct, IKvRowFormat
    {
        const int Step = 4 * 16;
        Vector512<float> scale = Vector512.Create(alpha);
        int offset = 0;
        for (; offset + Step <= d; offset += Step)
        {
            nuint at = (nuint)offset;
            Vector512<float> x0 = Vector512.LoadUnsafe(ref o, at) * scale, x1 = Vector512.LoadUnsafe(ref o, at + 16) * scale;
            Vector512<float> x2 = Vector512.LoadUnsafe(ref o, at + 32) * scale, x3 = Vector512.LoadUnsafe(ref o, at + 48) * scale;
            ref byte row = ref v;
            for (int j = 0; j < n; j++)
            {
                Vector512<float> wj = Vector512.Create(Unsafe.Add(ref w, j));
                x0 = Vector512.FusedMultiplyAdd(TRows.Load512(ref row, offset), wj, x0);
                x1 = Vector512.FusedMultiplyAdd(TRows.Load512(ref row, offset + 16), wj, x1);
                x2 = Vector512.FusedMultiplyAdd(TRows.Load512(ref row, offset + 32), wj, x2);
                x3 = Vector512.FusedMultiplyAdd(TRows.Load512(ref row, offset + 48), wj, x3);
                row = ref Unsafe.Add(ref row, rowBytes);
            }
            x0.StoreUnsafe(ref o, at); x1.StoreUnsafe(ref o, at + 16); x2.StoreUnsafe(ref o, at + 32); x3.StoreUnsafe(ref o, at + 48);
        }

        for (; offset < d; offset += Vector512<float>.Count)
        {
            bool last = offset + Vector512<float>.Count > d;
            if (last)
                offset = lastOffset;
            nuint at = (nuint)offset;
            Vector512<float> x = Vector512.LoadUnsafe(ref o, at) * scale;
            ref byte row = ref v;
            for (int j = 0; j < n; j++)
            {
                x = Vector512.FusedMultiplyAdd(TRows.Load512(ref row, offset), Vector512.Create(Unsafe.Add(ref w, j)), x);
                row = ref Unsafe.Add(ref row, rowBytes);
            }
            if (last)
                x = Vector512.ConditionalSelect(lastMask, x, Vector512.LoadUnsafe(ref o, at));
            x.StoreUnsafe(ref o, at);
            if (last)
                break;
        }
    }
}
