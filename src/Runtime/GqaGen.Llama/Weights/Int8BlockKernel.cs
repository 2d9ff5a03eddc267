using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// The matrix-vector products of 32-weight block formats (Q4_0, Q4_1, Q5_0, Q5_1) with 8-bit activations in 32-element
/// blocks (<see cref="Int8Activations"/>), generic over the format (<see cref="IInt8BlockFormat"/>): an AVX-512 path, an
/// AVX2 path and a scalar path.
/// </summary>
/// <remarks>
/// <para>Plan of the AVX-512 path, per row and group of eight blocks (256 weights): the blocks' first words (and
/// fifth-bit words) picked out of the group's bytes (<see cref="QuantBits.Words16"/>), their scales <c>d</c> (and
/// minimums) converted in one vector, <c>d · dx</c> formed once with the activations' eight scales, and the eight
/// blocks' <c>b · (dx · Σq)</c> added in one multiply-add; then two steps of four blocks, each in "quad order": the
/// four blocks' 16 nibble bytes in one 512-bit vector, whose low nibbles are weights 0..15 of each block and high
/// nibbles weights 16..31, multiplied with the activation quants kept in the same order (<see cref="Int8Activations"/>)
/// by two <c>vpmaddubsw</c>, summed in 16 bits, <c>vpmaddwd</c> by ones into four 32-bit lanes per block, converted to
/// float and multiplied-added by the block's <c>d · dx</c> (one <c>vpermps</c> puts each block's in its four lanes).
/// Rows go four at a time, the next four requested into L2 meanwhile, as <see cref="MatVecKernel"/>'s do; blocks past
/// the last whole group go one at a time as on the AVX2 path, which does every block that way (32 weights per step,
/// natural order). The scalar path sums each
/// block's <c>Σ u·q</c> in integers.</para>
/// <para>The integer sums are exact (see <see cref="IInt8BlockFormat"/>), so the rounding is in <c>d · dx</c>,
/// <c>dx · Σq</c> (<see cref="Int8Activations"/> keeps it), the products with them and the fp32 accumulation. The
/// offset term of Q4_0 and Q5_0 is a float product rather than an exact integer <c>Offset · Σq</c> added to the sums:
/// per step that add cost more (measured 2026-12-04: Q4_0 at 53 % of a plain read with it, 60 % without) than its
/// rounding, one part in 2^24 of the term, is worth. Every row's result is the same bits whichever tile computes it, so
/// it does not depend on the thread count or the rows asked for; it depends on the path.</para>
/// </remarks>
internal static unsafe class Int8BlockKernel
{
    /// <summary>Blocks per AVX-512 group: eight scales make one 256-bit vector.</summary>
    private const int GroupBlocks = 8;

    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for <c>r</c> in <c>[0, rowCount)</c> with the dequantized
    /// activations <c>x</c>; row r's bytes start at <c>rows + r · rowBytes</c>.
    /// </summary>
    /// <remarks>No argument is checked: the caller guarantees the bytes, <paramref name="columns"/> (a multiple of 32)
    /// activations in 32-element blocks and <paramref name="rowCount"/> floats of y.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyRows<TFormat>(GqaKernelPath path, byte* rows, nint rowBytes, int columns, Int8Source x, float* y, int rowCount)
        where TFormat : IInt8BlockFormat
    {
        int blocks = columns / Int8Activations.SmallBlockElements;
        switch (path)
        {
            case GqaKernelPath.Avx512:
            {
                var permutes = new GroupWordPermutes(TFormat.BlockBytes, TFormat.FifthBitsOffset);
                int r = 0;
                for (; r <= rowCount - MatVecKernel.RowTile; r += MatVecKernel.RowTile)
                    Dot4Vector512<TFormat>(rows + r * rowBytes, rowBytes, blocks, x, y + r, permutes);
                for (; r < rowCount; r++)
                    y[r] = DotVector512<TFormat>(rows + r * rowBytes, blocks, x, permutes);
                break;
            }
            case GqaKernelPath.Avx2:
                for (int r = 0; r < rowCount; r++)
                    y[r] = Tail<TFormat>(rows + r * rowBytes, 0, blocks, x);
                break;
            default:
                for (int r = 0; r < rowCount; r++)
                    y[r] = DotScalar<TFormat>(rows + r * rowBytes, blocks, x);
                break;
        }
    }

    // ---- AVX-512: groups of eight blocks, four blocks per step ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector512<TFormat>(byte* row, int blocks, Int8Source x, in GroupWordPermutes permutes)
        where TFormat : IInt8BlockFormat
    {
        Vector512<float> acc = default;
        Vector256<float> offsets = default;
        int k = 0;
        for (; k <= blocks - GroupBlocks; k += GroupBlocks)
            Group512<TFormat>(row + (nint)k * TFormat.BlockBytes, k, x, Vector256.Load(x.Scales + k), permutes, ref acc, ref offsets);
        return Vector512.Sum(acc) + Vector256.Sum(offsets) + Tail<TFormat>(row, k, blocks, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Vector512<TFormat>(byte* row0, nint rowBytes, int blocks, Int8Source x, float* y, in GroupWordPermutes permutes)
        where TFormat : IInt8BlockFormat
    {
        byte* row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> m0 = default, m1 = default, m2 = default, m3 = default;
        int k = 0;
        for (; k <= blocks - GroupBlocks; k += GroupBlocks)
        {
            nint offset = (nint)k * TFormat.BlockBytes;
            MatVecKernel.PrefetchNextTile(row0, rowBytes, offset, GroupBlocks * TFormat.BlockBytes);
            Vector256<float> dx = Vector256.Load(x.Scales + k);
            Group512<TFormat>(row0 + offset, k, x, dx, permutes, ref a0, ref m0);
            Group512<TFormat>(row1 + offset, k, x, dx, permutes, ref a1, ref m1);
            Group512<TFormat>(row2 + offset, k, x, dx, permutes, ref a2, ref m2);
            Group512<TFormat>(row3 + offset, k, x, dx, permutes, ref a3, ref m3);
        }
        y[0] = Vector512.Sum(a0) + Vector256.Sum(m0) + Tail<TFormat>(row0, k, blocks, x);
        y[1] = Vector512.Sum(a1) + Vector256.Sum(m1) + Tail<TFormat>(row1, k, blocks, x);
        y[2] = Vector512.Sum(a2) + Vector256.Sum(m2) + Tail<TFormat>(row2, k, blocks, x);
        y[3] = Vector512.Sum(a3) + Vector256.Sum(m3) + Tail<TFormat>(row3, k, blocks, x);
    }

    /// <summary>Blocks <paramref name="first"/> to <paramref name="blocks"/> − 1 of a row, one at a time: the AVX2
    /// path's whole row, the AVX-512 path's blocks after the last whole group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<TFormat>(byte* row, int first, int blocks, Int8Source x)
        where TFormat : IInt8BlockFormat
    {
        Vector256<float> tail = default;
        float offsets = 0;
        for (int k = first; k < blocks; k++)
            Block256<TFormat>(row + (nint)k * TFormat.BlockBytes, k, x, ref tail, ref offsets);
        return Vector256.Sum(tail) + offsets;
    }

    /// <summary>Blocks <paramref name="k"/> to <paramref name="k"/> + 7 of a row, at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group512<TFormat>(byte* block, int k, Int8Source x, Vector256<float> dx, in GroupWordPermutes permutes, ref Vector512<float> acc, ref Vector256<float> offsets)
        where TFormat : IInt8BlockFormat
    {
        nint blockBytes = TFormat.BlockBytes;
        Vector512<int> words = QuantBits.Words16(block, TFormat.BlockBytes, permutes);
        Vector256<int> header = words.GetLower();
        Vector256<float> d = QuantBits.LowHalves(header);
        Vector256<float> b = TFormat.HasMinimum ? QuantBits.HighHalves(header) : d * TFormat.Offset;
        offsets = Vector256.MultiplyAddEstimate(b, Vector256.Load(x.ScaledSums + k), offsets);
        Vector512<float> scales = (d * dx).ToVector512Unsafe();
        sbyte* q = x.QuadQuants + k * Int8Activations.SmallBlockElements;
        // Each quad's fifth-bit words (lanes 8..11 and 12..15 of words), where the format has them, as the quad's unpack
        // reads them (QuantBits.FifthBitWords128).
        Vector512<byte> fifth0 = HasFifthBits<TFormat>() ? QuantBits.FifthBitWords128(words, 0) : default;
        Vector512<byte> fifth1 = HasFifthBits<TFormat>() ? QuantBits.FifthBitWords128(words, 1) : default;
        acc = Quad512<TFormat>(block, q, 0, fifth0, scales, acc);
        acc = Quad512<TFormat>(block + 4 * blockBytes, q + Int8Activations.QuadElements, 1, fifth1, scales, acc);
    }

    /// <summary>Blocks 4 · <paramref name="quad"/> to + 3 of a group, in quad order: the low halves' and high halves'
    /// products summed in 16 bits (at most 4 · 31 · 127), then into 32-bit lanes 4j..4j + 3 for block j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quad512<TFormat>(byte* block, sbyte* q, int quad, Vector512<byte> fifthBitWords, Vector512<float> scales, Vector512<float> acc)
        where TFormat : IInt8BlockFormat
    {
        Vector512<byte> bytes = QuantBits.NibbleBytes128(block + TFormat.NibblesOffset, TFormat.BlockBytes);
        Vector512<byte> low = QuantBits.LowNibbles(bytes), high = QuantBits.HighNibbles(bytes);
        if (HasFifthBits<TFormat>())
        {
            low |= QuantBits.FifthBits128(fifthBitWords, upperHalves: false);
            high |= QuantBits.FifthBits128(fifthBitWords, upperHalves: true);
        }
        Vector512<short> pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load(q)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load(q + 64));
        Vector512<int> sums = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1));
        int b = 4 * quad;
        Vector512<float> blockScales = Avx512F.PermuteVar16x32(scales, Vector512.Create(b, b, b, b, b + 1, b + 1, b + 1, b + 1, b + 2, b + 2, b + 2, b + 2, b + 3, b + 3, b + 3, b + 3));
        return Vector512.MultiplyAddEstimate(Vector512.ConvertToSingle(sums), blockScales, acc);
    }

    // ---- The formats' fields, from their layout (IInt8BlockFormat) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasFifthBits<TFormat>()
        where TFormat : IInt8BlockFormat
        => TFormat.FifthBitsOffset != 0;

    /// <summary>The unsigned quants of the block at <paramref name="block"/>, in weight order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unsigned32<TFormat>(byte* block)
        where TFormat : IInt8BlockFormat
    {
        Vector256<byte> u = QuantBits.Nibbles32(block + TFormat.NibblesOffset);
        if (HasFifthBits<TFormat>())
            u |= QuantBits.FifthBits32(Unsafe.ReadUnaligned<uint>(block + TFormat.FifthBitsOffset));
        return u;
    }

    /// <summary>The unsigned quant of weight <paramref name="index"/> (0 to 31) of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int UnsignedElement<TFormat>(byte* block, int index)
        where TFormat : IInt8BlockFormat
    {
        int u = QuantBits.Nibble(block + TFormat.NibblesOffset, index);
        if (HasFifthBits<TFormat>())
            u |= (int)((Unsafe.ReadUnaligned<uint>(block + TFormat.FifthBitsOffset) >> index) & 1) << 4;
        return u;
    }

    // ---- AVX2 (and the AVX-512 path's last blocks): one block per step ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256<TFormat>(byte* block, int k, Int8Source x, ref Vector256<float> acc, ref float offsets)
        where TFormat : IInt8BlockFormat
    {
        Vector256<sbyte> q = Vector256.Load(x.Quants + k * Int8Activations.SmallBlockElements);
        Vector256<int> sums = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Unsigned32<TFormat>(block), q), Vector256.Create((short)1));
        float d = QuantBits.Half(block);
        acc = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(sums), Vector256.Create(d * x.Scales[k]), acc);
        offsets += BlockOffset<TFormat>(block, d) * x.ScaledSums[k];
    }

    /// <summary>The block's <c>b</c>: its minimum, or <c>Offset · d</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BlockOffset<TFormat>(byte* block, float d)
        where TFormat : IInt8BlockFormat
        => TFormat.HasMinimum ? QuantBits.Half(block + sizeof(ushort)) : d * TFormat.Offset;

    // ---- Scalar: one block at a time, in integers ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotScalar<TFormat>(byte* row, int blocks, Int8Source x)
        where TFormat : IInt8BlockFormat
    {
        float sum = 0;
        for (int k = 0; k < blocks; k++)
        {
            byte* block = row + (nint)k * TFormat.BlockBytes;
            sbyte* q = x.Quants + k * Int8Activations.SmallBlockElements;
            int dot = 0;
            for (int i = 0; i < Int8Activations.SmallBlockElements; i++)
                dot += UnsignedElement<TFormat>(block, i) * q[i];
            float d = QuantBits.Half(block);
            sum += d * x.Scales[k] * dot + BlockOffset<TFormat>(block, d) * x.ScaledSums[k];
        }
        return sum;
    }
}
