using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// How one storage type lays out a weight row, seen as blocks of <see cref="WeightBlock.Elements"/> (32) elements:
/// the kernels are generic over this, and the JIT specializes them per format struct, so every call below is direct
/// and inlined.
/// </summary>
/// <remarks>
/// Dequantization is exact for every format: for Q8_0, <c>d · q</c> is exact in fp32 (an int8 times a half needs at
/// most 8 + 11 significant bits), and the kernels that apply the scale to a block's sum instead
/// (<see cref="ScalesBlockSums"/>) round only where any fp32 accumulation rounds. Element-wise formats (F32, F16,
/// BF16) may end a row in a partial block, read element by element through <see cref="Element"/>; block formats
/// (Q8_0) require whole blocks.
/// </remarks>
internal unsafe interface IWeightFormat
{
    /// <summary>Bytes one block of 32 elements occupies.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>The 32 weights of the block at <paramref name="block"/>: elements 0..15 and 16..31.</summary>
    static abstract void Load(byte* block, out Vector512<float> w0, out Vector512<float> w1);

    /// <summary>The 32 weights of the block at <paramref name="block"/>, eight per vector in order.</summary>
    static abstract void Load(byte* block, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3);

    /// <summary>
    /// Whether the dot-product kernels apply <see cref="Scale"/> to each block's sum (<c>acc += d · Σ q·x</c>, one
    /// multiply per block) instead of to each weight (<c>acc += Σ (d·q)·x</c>, one per vector): true for block formats,
    /// where it saves a multiply per vector.
    /// </summary>
    static abstract bool ScalesBlockSums { get; }

    /// <summary>The block's 32 quants without the scale (what <see cref="Load(byte*, out Vector512{float}, out Vector512{float})"/>
    /// returns before multiplying by <see cref="Scale"/>); the same as that for formats without a scale.</summary>
    static abstract void LoadQuants(byte* block, out Vector512<float> q0, out Vector512<float> q1);

    /// <summary>The 256-bit form of <see cref="LoadQuants(byte*, out Vector512{float}, out Vector512{float})"/>.</summary>
    static abstract void LoadQuants(byte* block, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3);

    /// <summary>
    /// Whether the matrix-vector kernels read this format <see cref="MatVecKernel.RowTile"/> rows at a time, sharing
    /// each load of x and the loop overhead across them, rather than one row at a time, as one linear stream. True
    /// where dequantizing costs more than the memory traffic (Q8_0: 4-row tiles streamed about 36 GB/s on the
    /// development machine, single rows about 30); false for the element formats, which the memory system serves
    /// fastest as a single stream (F16 at 2048 × 5632: about 32 GB/s one row at a time, 25 to 29 four at a time).
    /// </summary>
    static abstract bool TilesRows { get; }

    /// <summary>The block's scale for <see cref="Element"/> (1 for formats without one); reads nothing else.</summary>
    static abstract float Scale(byte* block);

    /// <summary>Weight <paramref name="index"/> of the block at <paramref name="block"/>, given its <see cref="Scale"/>;
    /// reads only that element's bytes, so it is safe on a partial last block.</summary>
    static abstract float Element(byte* block, int index, float scale);
}

/// <summary>The block size every <see cref="IWeightFormat"/> is read in.</summary>
internal static class WeightBlock
{
    /// <summary>Elements per block: ggml's QK8_0 (ggml-common.h), also the step of the element-wise formats (a
    /// 64-byte cache line of F16 or BF16, two of F32).</summary>
    public const int Elements = 32;
}
