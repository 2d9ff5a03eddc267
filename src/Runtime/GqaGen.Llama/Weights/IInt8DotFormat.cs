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
/// |α| ≤ 128 the AVX-512 path's four 64-weight steps sum to at most 4 · 2 · 16,002 · 128 &lt; 2^24 per 32-bit lane, so
/// its conversion to float is exact too; the AVX2 path's eight 32-weight steps can pass 2^24 only when nearly every
/// quant, activation and scale is at its extreme, and then the conversion rounds once (by at most 2^-24 relative).
/// </remarks>
internal unsafe interface IInt8DotFormat : IWeightFormat
{
    /// <summary>Whether the format's integers are per 32-weight sub-block (Q4_K, Q5_K: 8 per block) rather than per
    /// 16-weight slice (Q6_K: 16 per block).</summary>
    static abstract bool IntegersPerSubBlock { get; }

    /// <summary>The block's <c>A</c> and <c>B</c>, and its <c>α</c> and <c>β</c> in weight order: 16 per-slice values,
    /// or, where <see cref="IntegersPerSubBlock"/>, 8 per-sub-block values in lanes 0..7 (lanes 8..15 any finite
    /// value: the kernels multiply them by zero).</summary>
    static abstract void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta);

    /// <summary>The unsigned quants <c>u</c> of group <paramref name="group"/> (32 weights) of the block, in order.</summary>
    static abstract Vector256<byte> Unsigned32(byte* block, int group);

    /// <summary>Which two groups each 64-weight step of the AVX-512 path takes.</summary>
    static abstract Int8StepOrder StepOrder { get; }

    /// <summary>The unsigned quants of the AVX-512 path's step <paramref name="step"/> (0..3), 64 weights: the two
    /// groups <see cref="StepOrder"/> gives it, lower then upper.</summary>
    static abstract Vector512<byte> Unsigned64(byte* block, int step);

    /// <summary>The unsigned quant of weight <paramref name="index"/> (0 to 255) of the block.</summary>
    static abstract int UnsignedElement(byte* block, int index);
}
