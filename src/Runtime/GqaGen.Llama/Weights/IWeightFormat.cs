using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// How one storage type lays out a weight row: blocks of <see cref="BlockElements"/> weights (32, or 256 for ggml's
/// K-quant super-blocks) in <see cref="BlockBytes"/> bytes, read by the kernels one 32-weight group
/// (<see cref="WeightBlock.Elements"/>) at a time. The kernels are generic over this, and the JIT specializes them
/// per format struct, so every call below is direct and inlined and every property folds to a constant.
/// </summary>
/// <remarks>
/// Dequantization is exact for every format or rounds once, as ggml's does: each weight is an exact product (a half
/// times small integers: at most 11 + 7 + 6 significant bits), minus or plus an exact product for the formats with a
/// minimum (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K), which rounds once whichever way it is computed (so a fused multiply-add
/// gives the same bits as ggml's <c>d · q − m</c>). The kernels that apply the scale to a group's sum instead
/// (<see cref="ScalesBlockSums"/>) round only where any fp32 accumulation rounds. Element-wise formats (F32, F16,
/// BF16) may end a row in a partial group, read element by element through <see cref="Element"/>; block formats
/// require whole blocks.
/// </remarks>
internal unsafe interface IWeightFormat
{
    /// <summary>Weights per block: 32 (<see cref="WeightBlock.Elements"/>), or 256 for ggml's K-quants (QK_K).</summary>
    static abstract int BlockElements { get; }

    /// <summary>Bytes one block of <see cref="BlockElements"/> weights occupies.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>The 32 weights of group <paramref name="group"/> of the block at <paramref name="block"/>: elements
    /// 0..15 and 16..31 of the group.</summary>
    static abstract void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1);

    /// <summary>The 32 weights of group <paramref name="group"/> of the block at <paramref name="block"/>, eight per
    /// vector in order.</summary>
    static abstract void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3);

    /// <summary>
    /// Whether the dot-product kernels apply <see cref="Scale"/> to each group's sum (<c>acc += d · Σ q·x</c>, one
    /// multiply per group) instead of to each weight (<c>acc += Σ (d·q)·x</c>, one per vector): true for the formats
    /// whose 32 weights are one scale times integers (Q8_0, Q4_0, Q5_0), where it saves a multiply per vector.
    /// </summary>
    static virtual bool ScalesBlockSums => false;

    /// <summary>
    /// Whether the AVX-512 kernels decode a block's per-group coefficients once per block and row
    /// (<see cref="DecodeBlock"/>), then read each group with <see cref="LoadDecoded"/>, rather than decoding a group's
    /// coefficients for each group: true for Q4_K and Q5_K, whose eight packed 6-bit scales and minimums cost more to
    /// unpack one group at a time than the group's weights, and Q2_K, Q3_K and Q6_K, whose 16 scales (and Q2_K's
    /// minimums) are unpacked in one vector. The coefficients are the products the per-group decoding forms, so the
    /// weights are the same bits either way.
    /// </summary>
    static virtual bool DecodesBlocks => false;

    /// <summary>Writes the block's per-group coefficients (at most <see cref="MaxBlockCoefficients"/> floats, in the
    /// format's own layout) to <paramref name="coefficients"/>.</summary>
    static virtual void DecodeBlock(byte* block, float* coefficients)
        => throw new NotSupportedException($"{nameof(DecodeBlock)} is only called for formats whose {nameof(DecodesBlocks)} is true.");

    /// <summary>The same weights, bit for bit, as <see cref="Load(byte*, int, out Vector512{float}, out Vector512{float})"/>,
    /// from the block's coefficients decoded by <see cref="DecodeBlock"/>.</summary>
    static virtual void LoadDecoded(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1)
        => throw new NotSupportedException($"{nameof(LoadDecoded)} is only called for formats whose {nameof(DecodesBlocks)} is true.");

    /// <summary>The most floats <see cref="DecodeBlock"/> writes.</summary>
    const int MaxBlockCoefficients = 32;

    /// <summary>The group's 32 quants without the scale (what <see cref="Load(byte*, int, out Vector512{float}, out Vector512{float})"/>
    /// returns before multiplying by <see cref="Scale"/>); the weights themselves for formats that do not
    /// <see cref="ScalesBlockSums"/>.</summary>
    static abstract void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1);

    /// <summary>The 256-bit form of <see cref="LoadQuants(byte*, int, out Vector512{float}, out Vector512{float})"/>.</summary>
    static abstract void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3);

    /// <summary>
    /// Whether the matrix-vector kernels read this format <see cref="MatVecKernel.RowTile"/> rows at a time, sharing
    /// each load of x and the loop overhead across them, rather than one row at a time, as one linear stream. True
    /// where dequantizing costs more than the memory traffic (every quantized format; Q8_0: 4-row tiles streamed about
    /// 36 GB/s on the development machine, single rows about 30); false for the element formats, which the memory system serves
    /// fastest as a single stream (F16 at 2048 × 5632: about 32 GB/s one row at a time, 25 to 29 four at a time).
    /// </summary>
    static abstract bool TilesRows { get; }

    /// <summary>The scale of group <paramref name="group"/> for <see cref="ScalesBlockSums"/> formats (1 for the
    /// others); reads nothing else.</summary>
    static virtual float Scale(byte* block, int group) => 1f;

    /// <summary>Weight <paramref name="index"/> (0 to <see cref="BlockElements"/> − 1) of the block at
    /// <paramref name="block"/>, dequantized; reads only that element's bytes and its scales, so it is safe on a
    /// partial last block.</summary>
    static abstract float Element(byte* block, int index);

    /// <summary>Weight <paramref name="index"/> without the group's <see cref="Scale"/> (its quant) for
    /// <see cref="ScalesBlockSums"/> formats; <see cref="Element"/> for the others.</summary>
    static abstract float Quant(byte* block, int index);
}

/// <summary>The group size every <see cref="IWeightFormat"/> is read in.</summary>
internal static class WeightBlock
{
    /// <summary>Elements per group: ggml's QK8_0, QK4_0… (ggml-common.h), also a K-quant sub-block (QK_K / 8) and the
    /// step of the element-wise formats (a 64-byte cache line of F16 or BF16, two of F32).</summary>
    public const int Elements = 32;
}
