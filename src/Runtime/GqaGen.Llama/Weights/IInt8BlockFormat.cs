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
/// <c>d · u + m</c>. Five bits keep <c>vpmaddubsw</c>'s pairwise sums (at most 2 · 31 · 127) in a 16-bit lane. The
/// formats differ only in where their fields lie, so they describe that and the kernel unpacks them.
/// </remarks>
internal unsafe interface IInt8BlockFormat : IWeightFormat
{
    /// <summary>The constant added to every <c>u</c> where there is no minimum: −8 (Q4_0), −16 (Q5_0); 0 otherwise.</summary>
    static abstract int Offset { get; }

    /// <summary>Whether blocks keep a half minimum <c>m</c> after <c>d</c> (Q4_1, Q5_1).</summary>
    static abstract bool HasMinimum { get; }

    /// <summary>Where the block's 16 bytes of nibbles start: low nibbles weights 0..15, high nibbles 16..31.</summary>
    static abstract int NibblesOffset { get; }

    /// <summary>Where the block's little-endian word of fifth bits starts (bit i is weight i's; Q5_0, Q5_1); 0 for
    /// 4-bit formats, which have none.</summary>
    static abstract int FifthBitsOffset { get; }
}
