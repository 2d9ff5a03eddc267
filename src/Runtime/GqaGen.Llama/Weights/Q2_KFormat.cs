using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q2_K (ggml-common.h, <c>block_q2_K</c>): super-blocks of 256 weights in 84 bytes: 16 bytes of 4-bit
/// scale (low nibble) and minimum (high nibble), one per 16 weights, 64 bytes of 2-bit quants, then a half scale
/// <c>d</c> and a half <c>dmin</c>. Each half of 128 weights uses 32 bytes of quants and 8 scale bytes; its group j
/// (0..3, 32 weights) takes bits 2j, 2j + 1 of <c>qs[l]</c>, and weight l is
/// <c>(d · sc) · q − dmin · m</c> with the scale byte <c>2j + l/16</c> (ggml-quants.c, <c>dequantize_row_q2_K</c>):
/// exact products, one rounding.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q2_KFormat : IInt8DotFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of the quants, after the 16 scale bytes.</summary>
    private const int QuantsOffset = 16;

    /// <summary>Offset of <c>d</c> (then <c>dmin</c>), after the 64 bytes of quants.</summary>
    private const int ScaleOffset = QuantsOffset + 64;

    public static int BlockElements => 256;

    public static int BlockBytes => ScaleOffset + 2 * sizeof(ushort);

    public static bool TilesRows => true;

    public static bool DecodesBlocks => true;

    /// <summary>The 16 multipliers <c>d · sc</c> to coefficients[0..15] and the 16 negated subtrahends
    /// <c>−(dmin · m)</c> to [16..31], in the scale bytes' order, with the multiplies <see cref="Locate"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeBlock(byte* block, float* coefficients)
    {
        Vector512<int> bytes = QuantBits.Bytes16(block);
        float d = QuantBits.Half(block + ScaleOffset), dmin = QuantBits.Half(block + ScaleOffset + 2);
        (Vector512.Create(d) * Vector512.ConvertToSingle(bytes & Vector512.Create(0xF))).Store(coefficients);
        (-(Vector512.Create(dmin) * Vector512.ConvertToSingle(bytes >>> 4))).Store(coefficients + 16);
    }

    /// <summary>Group <paramref name="group"/>'s weights from <see cref="DecodeBlock"/>'s coefficients: its halves use
    /// scale bytes 2·group and 2·group + 1 (8 · (group / 4) + 2 · (group mod 4)); each half's four possible weights are
    /// built with the multiply-add <see cref="Load(byte*, int, out Vector512{float}, out Vector512{float})"/> does (same
    /// bits) and looked up per 2-bit quant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDecoded(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1)
    {
        byte* q = block + QuantsOffset + 32 * (group >> 2);
        int shift = 2 * (group & 3);
        float* c = coefficients + 2 * group;
        Vector512<float> table0 = Vector512.MultiplyAddEstimate(QuantBits.Crumbs, Vector512.Create(c[0]), Vector512.Create(c[16]));
        Vector512<float> table1 = Vector512.MultiplyAddEstimate(QuantBits.Crumbs, Vector512.Create(c[1]), Vector512.Create(c[17]));
        w0 = QuantBits.Lookup16(table0, QuantBits.Bytes16(q) >>> shift);
        w1 = QuantBits.Lookup16(table1, QuantBits.Bytes16(q + 16) >>> shift);
    }

    /// <summary>Where group <paramref name="group"/>'s quants are, their shift, and the multipliers and subtrahends
    /// of its two 16-weight halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Locate(byte* block, int group, out byte* quants, out int shift, out float scale0, out float min0, out float scale1, out float min1)
    {
        int half = group >> 2, j = group & 3;
        quants = block + QuantsOffset + 32 * half;
        shift = 2 * j;
        byte* scales = block + 8 * half + 2 * j;
        float d = QuantBits.Half(block + ScaleOffset), dmin = QuantBits.Half(block + ScaleOffset + 2);
        scale0 = d * (scales[0] & 0xF);
        min0 = dmin * (scales[0] >> 4);
        scale1 = d * (scales[1] & 0xF);
        min1 = dmin * (scales[1] >> 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        Locate(block, group, out byte* q, out int shift, out float scale0, out float min0, out float scale1, out float min1);
        var two = Vector512.Create(3);
        w0 = Vector512.MultiplyAddEstimate(Vector512.ConvertToSingle((QuantBits.Bytes16(q) >>> shift) & two), Vector512.Create(scale0), Vector512.Create(-min0));
        w1 = Vector512.MultiplyAddEstimate(Vector512.ConvertToSingle((QuantBits.Bytes16(q + 16) >>> shift) & two), Vector512.Create(scale1), Vector512.Create(-min1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        Locate(block, group, out byte* q, out int shift, out float scale0, out float min0, out float scale1, out float min1);
        var two = Vector256.Create(3);
        Vector256<float> s0 = Vector256.Create(scale0), m0 = Vector256.Create(-min0), s1 = Vector256.Create(scale1), m1 = Vector256.Create(-min1);
        w0 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((QuantBits.Bytes8(q) >>> shift) & two), s0, m0);
        w1 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((QuantBits.Bytes8(q + 8) >>> shift) & two), s0, m0);
        w2 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((QuantBits.Bytes8(q + 16) >>> shift) & two), s1, m1);
        w3 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((QuantBits.Bytes8(q + 24) >>> shift) & two), s1, m1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index)
    {
        Locate(block, index >> 5, out byte* q, out int shift, out float scale0, out float min0, out float scale1, out float min1);
        int l = index & 31;
        int quant = (q[l] >> shift) & 3;
        return l < 16 ? scale0 * quant - min0 : scale1 * quant - min1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8DotFormat): u = the 2-bit quant; A = d, α = sc[s]; B = −dmin, β = m[s], per slice.

    public static bool IntegersPerSubBlock => false;

    public static Int8StepOrder StepOrder => Int8StepOrder.Halves;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta)
    {
        a = QuantBits.Half(block + ScaleOffset);
        b = -QuantBits.Half(block + ScaleOffset + 2);
        // The 16 scale bytes widened once (one vpmovzxbw), then split into their nibbles in 16-bit lanes.
        Vector256<short> bytes = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int16(block)
            : Vector256.Create(Vector128.WidenLower(Vector128.Load(block)), Vector128.WidenUpper(Vector128.Load(block))).AsInt16();
        alpha = bytes & Vector256.Create((short)0xF);
        beta = bytes >>> 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned32(byte* block, int group)
        => (Vector256.Load(block + QuantsOffset + 32 * (group >> 2)) >>> (2 * (group & 3))) & Vector256.Create((byte)3);

    /// <summary>Groups <paramref name="step"/> and + 4: the same bit field of both 32-byte runs of quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Unsigned64(byte* block, int step)
        => QuantBits.TwoBitFieldsOf64(block + QuantsOffset, 2 * step);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnsignedElement(byte* block, int index)
    {
        int group = index >> 5;
        return (block[QuantsOffset + 32 * (group >> 2) + (index & 31)] >> (2 * (group & 3))) & 3;
    }
}
