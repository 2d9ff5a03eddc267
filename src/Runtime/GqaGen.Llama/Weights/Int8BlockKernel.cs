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
/// <para>Plan of the AVX-512 path, per row and group of eight blocks (256 weights): the eight scales <c>d</c> gathered
/// into one vector and multiplied by the activations' eight scales once; then four steps of two blocks, each the
/// format's unsigned quants <c>u</c> times the activation quants with <c>vpmaddubsw</c> (pairs into 16-bit lanes) and
/// <c>vpmaddwd</c> by ones (into eight 32-bit lanes per block), the format's offset times the block's activation sum
/// added into the block's first lane (still exact integers), converted to float and multiplied-added by the block's
/// <c>d · dx</c> (one <c>vpermps</c> puts each block's in its eight lanes). A format with minimums adds
/// <c>m · (dx · Σ q)</c> once per group, eight blocks in one multiply-add. Rows go four at a time, the next four
/// requested into L2 meanwhile, as <see cref="MatVecKernel"/>'s do; blocks past the last whole group go one at a time
/// as on the AVX2 path, which does every block that way (32 weights per step). The scalar path sums each block in
/// integers.</para>
/// <para>Every integer is exact (see <see cref="IInt8BlockFormat"/>), so the only rounding is in <c>d · dx</c>, the
/// products with it and the fp32 accumulation. Every row's result is the same bits whichever tile computes it, so it does
/// not depend on the thread count or the rows asked for; it depends on the path.</para>
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
                int r = 0;
                for (; r <= rowCount - MatVecKernel.RowTile; r += MatVecKernel.RowTile)
                    Dot4Vector512<TFormat>(rows + r * rowBytes, rowBytes, blocks, x, y + r);
                for (; r < rowCount; r++)
                    y[r] = DotVector512<TFormat>(rows + r * rowBytes, blocks, x);
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

    // ---- AVX-512: groups of eight blocks, two blocks per step ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector512<TFormat>(byte* row, int blocks, Int8Source x)
        where TFormat : IInt8BlockFormat
    {
        Vector512<float> acc = default;
        Vector256<float> minimums = default;
        int k = 0;
        for (; k <= blocks - GroupBlocks; k += GroupBlocks)
            Group512<TFormat>(row + (nint)k * TFormat.BlockBytes, k, x, Vector256.Load(x.Scales + k), OffsetSums<TFormat>(x, k), ref acc, ref minimums);
        return Vector512.Sum(acc) + Vector256.Sum(minimums) + Tail<TFormat>(row, k, blocks, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Vector512<TFormat>(byte* row0, nint rowBytes, int blocks, Int8Source x, float* y)
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
            // The activations' share of the group, the same for the four rows.
            Vector256<float> dx = Vector256.Load(x.Scales + k);
            Vector512<int> offsetSums = OffsetSums<TFormat>(x, k);
            Group512<TFormat>(row0 + offset, k, x, dx, offsetSums, ref a0, ref m0);
            Group512<TFormat>(row1 + offset, k, x, dx, offsetSums, ref a1, ref m1);
            Group512<TFormat>(row2 + offset, k, x, dx, offsetSums, ref a2, ref m2);
            Group512<TFormat>(row3 + offset, k, x, dx, offsetSums, ref a3, ref m3);
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
        float minimums = 0;
        for (int k = first; k < blocks; k++)
            Block256<TFormat>(row + (nint)k * TFormat.BlockBytes, k, x, ref tail, ref minimums);
        return Vector256.Sum(tail) + minimums;
    }

    /// <summary>Blocks <paramref name="k"/> to <paramref name="k"/> + 7 of a row, at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group512<TFormat>(byte* block, int k, Int8Source x, Vector256<float> dx, Vector512<int> offsetSums, ref Vector512<float> acc, ref Vector256<float> minimums)
        where TFormat : IInt8BlockFormat
    {
        nint blockBytes = TFormat.BlockBytes;
        Vector512<float> scales = (QuantBits.Halves8(block, blockBytes) * dx).ToVector512Unsafe();
        if (TFormat.HasMinimum)
            minimums = Vector256.MultiplyAddEstimate(QuantBits.Halves8(block + sizeof(ushort), blockBytes), Vector256.Load(x.ScaledSums + k), minimums);
        sbyte* q = x.Quants + k * Int8Activations.SmallBlockElements;
        acc = Step512<TFormat>(block, q, 0, scales, offsetSums, acc);
        acc = Step512<TFormat>(block + 2 * blockBytes, q + 64, 2, scales, offsetSums, acc);
        acc = Step512<TFormat>(block + 4 * blockBytes, q + 128, 4, scales, offsetSums, acc);
        acc = Step512<TFormat>(block + 6 * blockBytes, q + 192, 6, scales, offsetSums, acc);
    }

    /// <summary>Blocks <paramref name="pair"/> and + 1 of a group: lanes 0..7 hold the first's partial sums, 8..15 the second's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step512<TFormat>(byte* block, sbyte* q, int pair, Vector512<float> scales, Vector512<int> offsetSums, Vector512<float> acc)
        where TFormat : IInt8BlockFormat
    {
        Vector512<int> sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(TFormat.Unsigned64(block), Vector512.Load(q)), Vector512.Create((short)1));
        if (TFormat.Offset != 0)
        {
            // Lane 0 of each block gains Offset · Σq; the other lanes read lane 8 and up of offsetSums, which are zero.
            sums += Avx512F.PermuteVar16x32(offsetSums, Vector512.Create(pair, 8, 8, 8, 8, 8, 8, 8, pair + 1, 8, 8, 8, 8, 8, 8, 8));
        }
        Vector512<float> blockScales = Avx512F.PermuteVar16x32(scales, Vector512.Create(pair, pair, pair, pair, pair, pair, pair, pair, pair + 1, pair + 1, pair + 1, pair + 1, pair + 1, pair + 1, pair + 1, pair + 1));
        return Vector512.MultiplyAddEstimate(Vector512.ConvertToSingle(sums), blockScales, acc);
    }

    /// <summary>Lanes 0..7: <c>Offset · Σq</c> of blocks <paramref name="k"/> to + 7; lanes 8..15 zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> OffsetSums<TFormat>(Int8Source x, int k)
        where TFormat : IInt8BlockFormat
    {
        if (TFormat.Offset == 0)
            return default;
        Vector256<int> sums = Vector256.WidenLower(Vector128.Load(x.SubBlockSums + k).ToVector256Unsafe());
        return (sums * TFormat.Offset).ToVector512();
    }

    // ---- AVX2 (and the AVX-512 path's last blocks): one block per step ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256<TFormat>(byte* block, int k, Int8Source x, ref Vector256<float> acc, ref float minimums)
        where TFormat : IInt8BlockFormat
    {
        Vector256<sbyte> q = Vector256.Load(x.Quants + k * Int8Activations.SmallBlockElements);
        Vector256<int> sums = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(TFormat.Unsigned32(block), q), Vector256.Create((short)1));
        if (TFormat.Offset != 0)
            sums += Vector256.CreateScalar(TFormat.Offset * x.SubBlockSums[k]);
        acc = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(sums), Vector256.Create(QuantBits.Half(block) * x.Scales[k]), acc);
        if (TFormat.HasMinimum)
            minimums += QuantBits.Half(block + sizeof(ushort)) * x.ScaledSums[k];
    }

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
            int dot = TFormat.Offset * x.SubBlockSums[k];
            for (int i = 0; i < Int8Activations.SmallBlockElements; i++)
                dot += TFormat.UnsignedElement(block, i) * q[i];
            sum += QuantBits.Half(block) * x.Scales[k] * dot;
            if (TFormat.HasMinimum)
                sum += QuantBits.Half(block + sizeof(ushort)) * x.ScaledSums[k];
        }
        return sum;
    }
}
