using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// A K-quant weight format read by the integer dot products (<see cref="Int8DotKernel"/>): in a super-block of 256
/// weights, weight i of 16-weight slice s is <c>A · α[s] · u[i] + B · β[s]</c>, where <c>u</c> is an unsigned integer of
/// at most 6 bits, <c>α</c> and <c>β</c> small integers per slice and <c>A</c>, <c>B</c> floats per block. Then the
/// block's dot product with 8-bit activations <c>x = dx · q</c> is
/// <c>A · dx · Σ_s α[s] · Σ u·q + B · dx · Σ_s β[s] · Σ q</c>: every sum an exact integer, floating point once per block.
/// </summary>
/// <remarks>
/// The coefficients are the format's own (ggml-quants.c, <c>dequantize_row_*</c>): Q4_K and Q5_K have
/// <c>A = d, α = sc[j], B = −dmin, β = m[j]</c> on both slices of sub-block j; Q6_K has <c>A = d, α = sc[s], B = −32d,
/// β = sc[s]</c>. Six bits keep <c>vpmaddubsw</c>'s pairwise sums (at most 2 · 63 · 127) in a 16-bit lane, and with
/// |α| ≤ 128 a block's four 64-weight steps sum to at most 4 · 2 · 16,002 · 128 &lt; 2^24 per 32-bit lane, so the
/// conversion to float is exact too.
/// </remarks>
internal unsafe interface IInt8DotFormat : IWeightFormat
{
    /// <summary>The block's <c>A</c> and <c>B</c>, and its 16 slices' <c>α</c> and <c>β</c> (in weight order).</summary>
    static abstract void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta);

    /// <summary>The unsigned quants <c>u</c> of group <paramref name="group"/> (32 weights) of the block, in order.</summary>
    static abstract Vector256<byte> Unsigned32(byte* block, int group);

    /// <summary>The unsigned quants of groups <paramref name="group"/> (even) and <paramref name="group"/> + 1: 64 weights.</summary>
    static abstract Vector512<byte> Unsigned64(byte* block, int group);

    /// <summary>The unsigned quant of weight <paramref name="index"/> (0 to 255) of the block.</summary>
    static abstract int UnsignedElement(byte* block, int index);
}
