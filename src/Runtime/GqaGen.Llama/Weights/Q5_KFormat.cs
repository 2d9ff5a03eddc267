using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q5_K (ggml-common.h, <c>block_q5_K</c>): super-blocks of 256 weights in 176 bytes: a half scale
/// <c>d</c>, a half <c>dmin</c>, 12 bytes packing eight 6-bit sub-block scales and minimums
/// (<see cref="QuantBits.ScaleMinK4"/>), 32 bytes <c>qh</c> of fifth bits, then 128 bytes of nibbles. Sub-block j
/// (32 weights) takes the low nibbles of bytes 32·(j/2)..+31 for even j, the high nibbles for odd j, plus 16 where
/// bit j of <c>qh[i]</c> is set; weight i of it is <c>(d · sc[j]) · q[i] − dmin · m[j]</c> (ggml-quants.c,
/// <c>dequantize_row_q5_K</c>): exact products, one rounding.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q5_KFormat : IInt8DotFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of the packed scales, after <c>d</c> and <c>dmin</c>.</summary>
    private const int ScalesOffset = QuantBits.ScalesOffsetK4;

    /// <summary>Offset of <c>qh</c>, after the 12 bytes of scales (K_SCALE_SIZE).</summary>
    private const int HighBitsOffset = ScalesOffset + 12;

    /// <summary>Offset of the nibbles, after the 32 bytes of <c>qh</c>.</summary>
    private const int NibblesOffset = HighBitsOffset + 32;

    public static int BlockElements => 256;

    public static int BlockBytes => NibblesOffset + 128;

    public static bool TilesRows => true;

    public static bool DecodesBlocks => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeBlock(byte* block, float* coefficients)
        => QuantBits.DecodeBlockK4(block, coefficients);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        QuantBits.CoefficientsK4(block, group, out float scale, out float min);
        Quants512(block, group, Vector512.Create(scale), Vector512.Create(-min), out w0, out w1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDecoded(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1)
        => Quants512(block, group, Vector512.Create(coefficients[group]), Vector512.Create(coefficients[8 + group]), out w0, out w1);

    /// <summary>Group <paramref name="group"/>'s weights <c>d · q + m</c> from its broadcast coefficients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quants512(byte* block, int group, Vector512<float> d, Vector512<float> m, out Vector512<float> w0, out Vector512<float> w1)
    {
        byte* q = block + NibblesOffset + 32 * (group >> 1);
        int shift = 4 * (group & 1);
        byte* h = block + HighBitsOffset;
        // The sub-block's 32 possible weights, each the multiply-add it was (same bits), looked up per 5-bit quant.
        Vector512<float> lower = Vector512.MultiplyAddEstimate(QuantBits.Nibbles, d, m);
        Vector512<float> upper = Vector512.MultiplyAddEstimate(QuantBits.Nibbles + Vector512.Create(16f), d, m);
        w0 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(QuantBits.Bytes16(q) >>> shift, QuantBits.FifthBits(QuantBits.Bytes16(h), group)));
        w1 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(QuantBits.Bytes16(q + 16) >>> shift, QuantBits.FifthBits(QuantBits.Bytes16(h + 16), group)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        QuantBits.CoefficientsK4(block, group, out float scale, out float min);
        var d = Vector256.Create(scale);
        var m = Vector256.Create(-min);
        byte* q = block + NibblesOffset + 32 * (group >> 1);
        int shift = 4 * (group & 1);
        byte* h = block + HighBitsOffset;
        if (Avx2.IsSupported)
        {
            // The group's 32 five-bit quants built as bytes once (a nibble, and the group's bit of qh moved to bit 4;
            // shifts on 16-bit lanes, the bits a byte receives from its neighbour masked off), then zero-extended 8 at
            // a time: the same integers and multiply-adds as below, so the same bits, with about half the vector
            // instructions: from L3, 1 thread, 2048 × 5632, AVX-512 off, the builds alternated four times, 4.5–4.7 →
            // 5.4–5.8 GB/s (Zen 5 VM, 2026-12-05).
            Vector256<byte> nibbles = (Vector256.Load(q).AsUInt16() >>> shift).AsByte() & Vector256.Create((byte)0xF);
            Vector256<ushort> fifth = ((Vector256.Load(h).AsUInt16() >>> group) & Vector256.Create((ushort)0x0101)) << 4;
            Vector256<byte> quants = nibbles | fifth.AsByte();
            Vector128<byte> first = quants.GetLower(), second = quants.GetUpper();
            w0 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(first)), d, m);
            w1 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(first, 8))), d, m);
            w2 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(second)), d, m);
            w3 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(second, 8))), d, m);
            return;
        }
        var nibble = Vector256.Create(0xF);
        var bit = Vector256.Create(1);
        w0 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(((QuantBits.Bytes8(q) >>> shift) & nibble) | (((QuantBits.Bytes8(h) >>> group) & bit) << 4)), d, m);
        w1 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(((QuantBits.Bytes8(q + 8) >>> shift) & nibble) | (((QuantBits.Bytes8(h + 8) >>> group) & bit) << 4)), d, m);
        w2 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(((QuantBits.Bytes8(q + 16) >>> shift) & nibble) | (((QuantBits.Bytes8(h + 16) >>> group) & bit) << 4)), d, m);
        w3 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(((QuantBits.Bytes8(q + 24) >>> shift) & nibble) | (((QuantBits.Bytes8(h + 24) >>> group) & bit) << 4)), d, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index)
    {
        int group = index >> 5;
        QuantBits.CoefficientsK4(block, group, out float scale, out float min);
        int q = ((block[NibblesOffset + 32 * (group >> 1) + (index & 31)] >> (4 * (group & 1))) & 0xF)
              | ((block[HighBitsOffset + (index & 31)] >> group) & 1) << 4;
        return scale * q - min;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8DotFormat): u = nibble + 16 · fifth bit; A = d, α = sc[j]; B = −dmin, β = m[j], per
    // sub-block j (as Q4_K).

    public static Int8StepOrder StepOrder => Int8StepOrder.NibblePairs;

    public static bool IntegersPerSubBlock => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta)
        => QuantBits.IntegersK4(block, out a, out b, out alpha, out beta);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned32(byte* block, int group)
    {
        Vector256<byte> nibbles = (Vector256.Load(block + NibblesOffset + 32 * (group >> 1)) >>> (4 * (group & 1))) & Vector256.Create((byte)0xF);
        Vector256<byte> fifth = (Vector256.Load(block + HighBitsOffset) >>> group) & Vector256.Create((byte)1);
        return nibbles | (fifth << 4);
    }

    /// <summary>Sub-blocks 4t + n and 4t + 2 + n (step 2t + n): nibble n of the 64 bytes at 64t (as Q4_K) and bits
    /// 4t + n and 4t + 2 + n of <c>qh</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Unsigned64(byte* block, int step)
    {
        int group = StepOrder.LowerGroup(step);
        Vector512<byte> nibbles = QuantBits.Nibbles64(block + NibblesOffset + 64 * (step >> 1), step & 1);
        return nibbles | QuantBits.BitFields64(block + HighBitsOffset, group, group + 2, width: 1, to: 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnsignedElement(byte* block, int index)
    {
        int group = index >> 5, l = index & 31;
        int nibble = (block[NibblesOffset + 32 * (group >> 1) + l] >> (4 * (group & 1))) & 0xF;
        return nibble | (((block[HighBitsOffset + l] >> group) & 1) << 4);
    }
}
