using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// The matrix-vector products of K-quant weights with 8-bit activations in 256-element blocks
/// (<see cref="Int8Activations"/>; the 32-weight formats have <see cref="Int8BlockKernel"/>), generic over the weight
/// format (<see cref="IInt8DotFormat"/>): an AVX-512 path, an AVX2 path and a scalar path.
/// </summary>
/// <remarks>
/// <para>Plan of the AVX-512 path, per row and super-block: four steps of 64 weights (two 32-weight groups each, paired
/// as the format unpacks them most cheaply: <see cref="Int8StepOrder"/>, with the activations copied in that order),
/// each the format's unsigned quants <c>u</c> times the activation quants with <c>vpmaddubsw</c> (pairs into 16-bit
/// lanes), then <c>vpmaddwd</c> by each lane's slice or sub-block integer <c>α</c> (one <c>vpermw</c> of the block's
/// α's) into the block's 32-bit sums;
/// then, once per block, <c>vpmaddwd</c> of the <c>β</c>'s with the activations' slice or sub-block sums, both sums converted to float and added
/// into the row's accumulators times <c>A · dx</c> and <c>B · dx</c>. Integers are exact (see
/// <see cref="IInt8DotFormat"/>), so the only rounding is in those two products and the fp32 accumulation. Rows go
/// four at a time, the next four requested into L2 meanwhile, as <see cref="MatVecKernel"/>'s quantized rows do. The
/// AVX2 path does the same 32 weights per step, in order; the scalar path one slice at a time.</para>
/// <para>Every row's result is the same bits whichever tile computes it, so it does not depend on the thread count or
/// the rows asked for; it depends on the path.</para>
/// </remarks>
internal static unsafe class Int8DotKernel
{
    /// <summary>
    /// Effectively computes <c>y[r] = Σ_c W[r, c] · x[c]</c> for <c>r</c> in <c>[0, rowCount)</c> with the dequantized
    /// activations <c>x</c>; row r's bytes start at <c>rows + r · rowBytes</c>.
    /// </summary>
    /// <remarks>No argument is checked: the caller guarantees the bytes, <paramref name="columns"/> (a multiple of 256)
    /// activations and <paramref name="rowCount"/> floats of y.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyRows<TFormat>(GqaKernelPath path, byte* rows, nint rowBytes, int columns, Int8Source x, float* y, int rowCount)
        where TFormat : IInt8DotFormat
    {
        int blocks = columns / Int8Activations.SuperBlockElements;
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
                    y[r] = DotVector256<TFormat>(rows + r * rowBytes, blocks, x);
                break;
            default:
                for (int r = 0; r < rowCount; r++)
                    y[r] = DotScalar<TFormat>(rows + r * rowBytes, blocks, x);
                break;
        }
    }

    // ---- AVX-512: 64 weights per step ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector512<TFormat>(byte* row, int blocks, Int8Source x)
        where TFormat : IInt8DotFormat
    {
        Vector512<float> acc = default;
        Vector256<float> offsets = default;
        for (int k = 0; k < blocks; k++)
            Block512<TFormat>(row + (nint)k * TFormat.BlockBytes, k, x, ref acc, ref offsets);
        return Vector512.Sum(acc) + Vector256.Sum(offsets);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4Vector512<TFormat>(byte* row0, nint rowBytes, int blocks, Int8Source x, float* y)
        where TFormat : IInt8DotFormat
    {
        byte* row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        for (int k = 0; k < blocks; k++)
        {
            nint offset = (nint)k * TFormat.BlockBytes;
            MatVecKernel.PrefetchNextTile(row0, rowBytes, offset, TFormat.BlockBytes);
            Block512<TFormat>(row0 + offset, k, x, ref a0, ref b0);
            Block512<TFormat>(row1 + offset, k, x, ref a1, ref b1);
            Block512<TFormat>(row2 + offset, k, x, ref a2, ref b2);
            Block512<TFormat>(row3 + offset, k, x, ref a3, ref b3);
        }
        y[0] = Vector512.Sum(a0) + Vector256.Sum(b0);
        y[1] = Vector512.Sum(a1) + Vector256.Sum(b1);
        y[2] = Vector512.Sum(a2) + Vector256.Sum(b2);
        y[3] = Vector512.Sum(a3) + Vector256.Sum(b3);
    }

    /// <summary>Super-block <paramref name="k"/> of a row, at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block512<TFormat>(byte* block, int k, Int8Source x, ref Vector512<float> acc, ref Vector256<float> offsets)
        where TFormat : IInt8DotFormat
    {
        TFormat.DecodeIntegers(block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta);
        Vector512<short> alphas = alpha.ToVector512Unsafe();
        // Step s multiplies 64 weights: the two groups of the format's step order, with the activations copied in that
        // order; each 16-bit lane takes the integer of its slice or sub-block.
        sbyte* q = x.StepQuants(TFormat.StepOrder) + k * Int8Activations.SuperBlockElements;
        Vector512<int> sums = Step512(TFormat.Unsigned64(block, 0), Vector512.Load(q), alphas, IntegerLanes<TFormat>(0));
        sums += Step512(TFormat.Unsigned64(block, 1), Vector512.Load(q + 64), alphas, IntegerLanes<TFormat>(1));
        sums += Step512(TFormat.Unsigned64(block, 2), Vector512.Load(q + 128), alphas, IntegerLanes<TFormat>(2));
        sums += Step512(TFormat.Unsigned64(block, 3), Vector512.Load(q + 192), alphas, IntegerLanes<TFormat>(3));
        Vector256<int> offsetSums = Avx2.MultiplyAddAdjacent(beta,
            Vector256.Load((TFormat.IntegersPerSubBlock ? x.SubBlockSums : x.SliceSums) + k * Int8Activations.SlicesPerBlock));
        float dx = x.Scales[k];
        acc = Vector512.MultiplyAddEstimate(Vector512.ConvertToSingle(sums), Vector512.Create(a * dx), acc);
        offsets = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(offsetSums), Vector256.Create(b * dx), offsets);
    }

    /// <summary>The permute indices of step <paramref name="step"/>: which of the block's integers each 16-bit lane
    /// (two weights) multiplies. The step's lower 32 weights are one group, its upper 32 the group
    /// <see cref="Int8StepOrderGroups.UpperGroupDistance"/> on; a group is one sub-block, or two slices of eight lanes each.
    /// A broadcast plus a constant, which the JIT folds into one constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> IntegerLanes<TFormat>(int step)
        where TFormat : IInt8DotFormat
    {
        int group = TFormat.StepOrder.LowerGroup(step);
        int upper = TFormat.StepOrder.UpperGroupDistance();
        // Lanes 16..31 (the upper group) get the distance added; written as broadcasts and constants only, which fold.
        Vector512<short> upperLanes = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        if (TFormat.IntegersPerSubBlock)
            return Vector512.Create((short)group) + (Vector512.Create((short)upper) & upperLanes);
        Vector512<short> slices = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        return Vector512.Create((short)(2 * group)) + slices + (Vector512.Create((short)(2 * upper - 2)) & upperLanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Step512(Vector512<byte> u, Vector512<sbyte> q, Vector512<short> alphas, Vector512<short> slices)
        => Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, q), Avx512BW.PermuteVar32x16(alphas, slices));

    // ---- AVX2: 32 weights per step ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotVector256<TFormat>(byte* row, int blocks, Int8Source x)
        where TFormat : IInt8DotFormat
    {
        Vector256<float> acc = default, offsets = default;
        short* alphas = stackalloc short[16];
        for (int k = 0; k < blocks; k++)
        {
            byte* block = row + (nint)k * TFormat.BlockBytes;
            TFormat.DecodeIntegers(block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta);
            alpha.Store(alphas);
            sbyte* q = x.Quants + k * Int8Activations.SuperBlockElements;
            Vector256<int> sums = default;
            for (int g = 0; g < 8; g++)
            {
                // 16-bit lanes 0..7 hold slice 2g, lanes 8..15 slice 2g + 1: both of sub-block g.
                Vector256<short> lanes = TFormat.IntegersPerSubBlock
                    ? Vector256.Create(alphas[g])
                    : Vector256.Create(Vector128.Create(alphas[2 * g]), Vector128.Create(alphas[2 * g + 1]));
                sums += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(TFormat.Unsigned32(block, g), Vector256.Load(q + 32 * g)), lanes);
            }
            Vector256<int> offsetSums = Avx2.MultiplyAddAdjacent(beta, Vector256.Load((TFormat.IntegersPerSubBlock ? x.SubBlockSums : x.SliceSums) + k * Int8Activations.SlicesPerBlock));
            float dx = x.Scales[k];
            acc = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(sums), Vector256.Create(a * dx), acc);
            offsets = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(offsetSums), Vector256.Create(b * dx), offsets);
        }
        return Vector256.Sum(acc) + Vector256.Sum(offsets);
    }

    // ---- Scalar: one slice at a time ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotScalar<TFormat>(byte* row, int blocks, Int8Source x)
        where TFormat : IInt8DotFormat
    {
        float sum = 0;
        for (int k = 0; k < blocks; k++)
        {
            byte* block = row + (nint)k * TFormat.BlockBytes;
            TFormat.DecodeIntegers(block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta);
            sbyte* q = x.Quants + k * Int8Activations.SuperBlockElements;
            short* sliceSums = x.SliceSums + k * Int8Activations.SlicesPerBlock;
            int products = 0, offsets = 0;
            for (int s = 0; s < Int8Activations.SlicesPerBlock; s++)
            {
                int dot = 0;
                for (int i = Int8Activations.SliceElements * s; i < Int8Activations.SliceElements * (s + 1); i++)
                    dot += TFormat.UnsignedElement(block, i) * q[i];
                int integer = TFormat.IntegersPerSubBlock ? s / 2 : s;
                products += alpha[integer] * dot;
                offsets += beta[integer] * sliceSums[s];
            }
            float dx = x.Scales[k];
            sum += a * dx * products + b * dx * offsets;
        }
        return sum;
    }
}

/// <summary>The activations as <see cref="Int8DotKernel"/> reads them (<see cref="Int8Activations"/>' pinned arrays).</summary>
internal readonly unsafe struct Int8Source(sbyte* quants, float* scales, short* sliceSums, short* subBlockSums, float* scaledSums, sbyte* quadQuants, sbyte* halvesQuants, sbyte* nibblePairQuants)
{
    public readonly sbyte* Quants = quants;
    public readonly float* Scales = scales;
    public readonly short* SliceSums = sliceSums;
    public readonly short* SubBlockSums = subBlockSums;
    public readonly float* ScaledSums = scaledSums;
    public readonly sbyte* QuadQuants = quadQuants;
    public readonly sbyte* HalvesQuants = halvesQuants;
    public readonly sbyte* NibblePairQuants = nibblePairQuants;

    /// <summary>The quants in the order of <paramref name="order"/>'s steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public sbyte* StepQuants(Int8StepOrder order) => order switch
    {
        Int8StepOrder.Halves => HalvesQuants,
        Int8StepOrder.NibblePairs => NibblePairQuants,
        _ => Quants,
    };
}
