using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q6_K (ggml-common.h, <c>block_q6_K</c>): super-blocks of 256 weights in 210 bytes: 128 bytes <c>ql</c>
/// of low nibbles, 64 bytes <c>qh</c> of high bit pairs, 16 signed 8-bit scales (one per 16 weights), then a half
/// scale <c>d</c>. Each half of 128 weights uses 64 bytes of <c>ql</c>, 32 of <c>qh</c> and 8 scales; its group p
/// (0..3, 32 weights) takes the low (p &lt; 2) or high nibbles of <c>ql[32·(p mod 2) + l]</c> and bits 2p, 2p + 1 of
/// <c>qh[l]</c> as bits 4 and 5; weight l is <c>(d · sc[2p + l/16]) · (q − 32)</c> (ggml-quants.c,
/// <c>dequantize_row_q6_K</c>), an exact product (at most 11 + 7 + 5 significant bits).
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q6_KFormat : IInt8DotFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of <c>qh</c>, after the 128 bytes of <c>ql</c>.</summary>
    private const int HighBitsOffset = 128;

    /// <summary>Offset of the scales, after the 64 bytes of <c>qh</c>.</summary>
    private const int ScalesOffset = HighBitsOffset + 64;

    /// <summary>Offset of <c>d</c>, after the 16 scales.</summary>
    private const int ScaleOffset = ScalesOffset + 16;

    public static int BlockElements => 256;

    public static int BlockBytes => ScaleOffset + sizeof(ushort);

    public static bool TilesRows => true;

    public static bool DecodesBlocks => true;

    /// <summary>The 16 multipliers <c>d · sc[i]</c> to coefficients[0..15], with the multiplies <see cref="Locate"/>
    /// does (same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeBlock(byte* block, float* coefficients)
        => (Vector512.Create(QuantBits.Half(block + ScaleOffset)) * Vector512.ConvertToSingle(Widen.Int8ToInt32x16((sbyte*)(block + ScalesOffset)))).Store(coefficients);

    /// <summary>Group <paramref name="group"/>'s weights from <see cref="DecodeBlock"/>'s coefficients: its halves use
    /// scales 2·group and 2·group + 1 (8 · (group / 4) + 2 · (group mod 4)). With AVX-512 the group's 32 quants
    /// <c>q − 32</c> are built as signed bytes in one 256-bit register (a nibble of <c>ql</c>, two bits of <c>qh</c>
    /// moved to bits 4..5, minus 32), then each 16 sign-extended, converted and multiplied by their scale: the same
    /// integers and the same multiply as <see cref="Load(byte*, int, out Vector512{float}, out Vector512{float})"/>, so
    /// the same bits.</summary>
    /// <remarks>Per 32 weights that is about nine byte-wide operations (two loads, three shifts, two masks, an OR, a
    /// subtract), then per 16 a widening, a conversion and a multiply, where building each 16 weights in 32-bit lanes
    /// took eleven instructions (two widening loads, two shifts, three masks or shifts, an OR, a subtract, a
    /// conversion and a multiply): from L3, 1 thread, 2048 × 5632, the two builds alternated three times, 12.1–12.4 →
    /// 14.8–15.7 GB/s (Zen 5 VM, 2026-12-05). (A multiply-add <c>q · s − 32 · s</c> would save the subtract but gives
    /// +0 where <c>(q − 32) · s</c> is −0.)</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDecoded(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1)
    {
        int half = group >> 2, p = group & 3;
        byte* low = block + 64 * half + 32 * (p & 1);
        byte* high = block + HighBitsOffset + 32 * half;
        if (!Avx512F.IsSupported)
        {
            w0 = Quants16(low, 4 * (p >> 1), high, 2 * p) * Vector512.Create(coefficients[2 * group]);
            w1 = Quants16(low + 16, 4 * (p >> 1), high + 16, 2 * p) * Vector512.Create(coefficients[2 * group + 1]);
            return;
        }
        Vector256<sbyte> centered = CenteredQuants32(low, 4 * (p >> 1), high, 2 * p);
        w0 = Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(centered.GetLower())) * Vector512.Create(coefficients[2 * group]);
        w1 = Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(centered.GetUpper())) * Vector512.Create(coefficients[2 * group + 1]);
    }

    /// <summary>Where group <paramref name="group"/>'s bytes are, and how far to shift them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Locate(byte* block, int group, out byte* low, out int lowShift, out byte* high, out int highShift, out float scale0, out float scale1)
    {
        int half = group >> 2, p = group & 3;
        low = block + 64 * half + 32 * (p & 1);
        lowShift = 4 * (p >> 1);
        high = block + HighBitsOffset + 32 * half;
        highShift = 2 * p;
        sbyte* scales = (sbyte*)(block + ScalesOffset + 8 * half + 2 * p);
        float d = QuantBits.Half(block + ScaleOffset);
        scale0 = d * scales[0];
        scale1 = d * scales[1];
    }

    /// <summary>A group's 32 values <c>q − 32</c> as signed bytes: the nibbles of <c>ql</c> at <paramref name="low"/>
    /// (shifted by <paramref name="lowShift"/>) and the bit pairs of <c>qh</c> at <paramref name="high"/> (shifted by
    /// <paramref name="highShift"/>) moved to bits 4..5. Shifts are on 16-bit lanes: the bits a byte receives from its
    /// neighbour are masked off.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> CenteredQuants32(byte* low, int lowShift, byte* high, int highShift)
    {
        Vector256<byte> nibbles = (Vector256.Load(low).AsUInt16() >>> lowShift).AsByte() & Vector256.Create((byte)0xF);
        Vector256<ushort> tops = ((Vector256.Load(high).AsUInt16() >>> highShift) & Vector256.Create((ushort)0x0303)) << 4;
        return (nibbles | tops.AsByte()).AsSByte() - Vector256.Create((sbyte)32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quants16(byte* low, int lowShift, byte* high, int highShift)
        => Vector512.ConvertToSingle((((QuantBits.Bytes16(low) >>> lowShift) & Vector512.Create(0xF))
            | (((QuantBits.Bytes16(high) >>> highShift) & Vector512.Create(3)) << 4)) - Vector512.Create(32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Quants8(byte* low, int lowShift, byte* high, int highShift)
        => Vector256.ConvertToSingle((((QuantBits.Bytes8(low) >>> lowShift) & Vector256.Create(0xF))
            | (((QuantBits.Bytes8(high) >>> highShift) & Vector256.Create(3)) << 4)) - Vector256.Create(32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        Locate(block, group, out byte* low, out int lowShift, out byte* high, out int highShift, out float scale0, out float scale1);
        w0 = Quants16(low, lowShift, high, highShift) * Vector512.Create(scale0);
        w1 = Quants16(low + 16, lowShift, high + 16, highShift) * Vector512.Create(scale1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        Locate(block, group, out byte* low, out int lowShift, out byte* high, out int highShift, out float scale0, out float scale1);
        var s0 = Vector256.Create(scale0);
        var s1 = Vector256.Create(scale1);
        if (Avx2.IsSupported)
        {
            // As LoadDecoded: the 32 values built as bytes once, then sign-extended 8 at a time (the same integers and
            // multiplies as Quants8, so the same bits). From L3, 1 thread, 2048 × 5632, AVX-512 off, the builds
            // alternated four times: 4.6–5.0 → 6.3–6.8 GB/s (Zen 5 VM, 2026-12-05).
            Vector256<sbyte> centered = CenteredQuants32(low, lowShift, high, highShift);
            Vector128<sbyte> first = centered.GetLower(), second = centered.GetUpper();
            w0 = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(first)) * s0;
            w1 = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(first, 8))) * s0;
            w2 = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(second)) * s1;
            w3 = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(second, 8))) * s1;
            return;
        }
        w0 = Quants8(low, lowShift, high, highShift) * s0;
        w1 = Quants8(low + 8, lowShift, high + 8, highShift) * s0;
        w2 = Quants8(low + 16, lowShift, high + 16, highShift) * s1;
        w3 = Quants8(low + 24, lowShift, high + 24, highShift) * s1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index)
    {
        Locate(block, index >> 5, out byte* low, out int lowShift, out byte* high, out int highShift, out float scale0, out float scale1);
        int l = index & 31;
        int q = (((low[l] >> lowShift) & 0xF) | (((high[l] >> highShift) & 3) << 4)) - 32;
        return (l < 16 ? scale0 : scale1) * q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8DotFormat): u = the 6-bit quant; A = d, α = sc[s]; B = −32d, β = sc[s].

    public static Int8StepOrder StepOrder => Int8StepOrder.Consecutive;

    public static bool IntegersPerSubBlock => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta)
    {
        a = QuantBits.Half(block + ScaleOffset);
        b = -32 * a;
        Vector128<sbyte> scales = Vector128.Load((sbyte*)(block + ScalesOffset));
        alpha = Vector256.Create(Vector128.WidenLower(scales), Vector128.WidenUpper(scales));
        beta = alpha;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned32(byte* block, int group)
    {
        int half = group >> 2, p = group & 3;
        Vector256<byte> low = (Vector256.Load(block + 64 * half + 32 * (p & 1)) >>> (4 * (p >> 1))) & Vector256.Create((byte)0xF);
        Vector256<byte> high = (Vector256.Load(block + HighBitsOffset + 32 * half) >>> (2 * p)) & Vector256.Create((byte)3);
        return low | (high << 4);
    }

    /// <summary>Groups 2·<paramref name="step"/> and + 1: 64 consecutive bytes of <c>ql</c> and two bit fields of one
    /// 32-byte run of <c>qh</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Unsigned64(byte* block, int step)
    {
        int half = step >> 1, p = 2 * (step & 1);
        Vector512<byte> low = (Vector512.Load(block + 64 * half) >>> (4 * (p >> 1))) & Vector512.Create((byte)0xF);
        // The two high bits of group p at bits 2p, 2p + 1 of qh (lower half) and of group p + 1 at 2p + 2, 2p + 3 (upper).
        return low | QuantBits.BitFields64(block + HighBitsOffset + 32 * half, 2 * p, 2 * p + 2, width: 2, to: 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnsignedElement(byte* block, int index)
    {
        int group = index >> 5, half = group >> 2, p = group & 3, l = index & 31;
        byte low = block[64 * half + 32 * (p & 1) + l];
        byte high = block[HighBitsOffset + 32 * half + l];
        return ((low >> (4 * (p >> 1))) & 0xF) | (((high >> (2 * p)) & 3) << 4);
    }
}
