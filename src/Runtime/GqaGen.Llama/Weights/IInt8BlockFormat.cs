using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// A 32-weight block format read by the integer dot products (<see cref="Int8BlockKernel"/>): weight i of a block is
/// <c>d · u[i] + b</c>, where <c>u</c> is an unsigned integer of at most 5 bits, <c>d</c> the block's half scale (its
/// first two bytes, in every such format of ggml), and <c>b</c> the block's half minimum <c>m</c> (the next two bytes)
/// where <see cref="HasMinimum"/>, <c>Offset · d</c> elsewhere. With 32-element 8-bit activations <c>x = dx · q</c> the
/// block's dot product is <c>(d · dx) · Σ u·q + b · (dx · Σ q)</c>: the sum of products an exact integer, floating
/// point once per block.
/// </summary>
/// <remarks>
/// ggml-quants.c, <c>dequantize_row_*</c>: Q4_0 is <c>d · (u − 8)</c>, Q5_0 <c>d · (u − 16)</c>, Q4_1 and Q5_1
/// <c>d · u + m</c>. Five bits keep <c>vpmaddubsw</c>'s pairwise sums (at most 2 · 31 · 127) in a 16-bit lane.
/// </remarks>
internal unsafe interface IInt8BlockFormat : IWeightFormat
{
    /// <summary>The constant added to every <c>u</c> where there is no minimum: −8 (Q4_0), −16 (Q5_0); 0 otherwise.</summary>
    static abstract int Offset { get; }

    /// <summary>Whether blocks keep a half minimum <c>m</c> after <c>d</c> (Q4_1, Q5_1).</summary>
    static abstract bool HasMinimum { get; }

    /// <summary>The unsigned quants of the block at <paramref name="block"/>, in weight order.</summary>
    static abstract Vector256<byte> Unsigned32(byte* block);

    /// <summary>The 16 nibble bytes of each of the four blocks from <paramref name="block"/> on, in one vector
    /// (<see cref="QuantBits.NibbleBytes128"/>: the quad order of <see cref="Int8Activations"/>' quad quants).</summary>
    static abstract Vector512<byte> NibbleBytes128(byte* block);

    /// <summary>Whether the quants have a fifth bit (Q5_0, Q5_1), in a little-endian word at <see cref="FifthBitsOffset"/>.</summary>
    static abstract bool HasFifthBits { get; }

    /// <summary>Where the block's word of fifth bits starts (bit i is weight i's); 0 where <see cref="HasFifthBits"/> is false.</summary>
    static abstract int FifthBitsOffset { get; }

    /// <summary>The unsigned quant of weight <paramref name="index"/> (0 to 31) of the block.</summary>
    static abstract int UnsignedElement(byte* block, int index);
}
