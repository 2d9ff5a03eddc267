using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q3_K (ggml-common.h, <c>block_q3_K</c>): super-blocks of 256 weights in 110 bytes: 32 bytes
/// <c>hmask</c> of high bits, 64 bytes of 2-bit quants, 12 bytes packing sixteen 6-bit scales (one per 16 weights),
/// then a half scale <c>d</c>. Group g (32 weights) of half <c>g/4</c> takes bits 2j, 2j + 1 (j = g mod 4) of
/// <c>qs[32·(g/4) + l]</c>, minus 4 unless bit g of <c>hmask[l]</c> is set; weight l is
/// <c>(d · (sc − 32)) · q</c> with scale <c>8·(g/4) + 2j + l/16</c> (ggml-quants.c, <c>dequantize_row_q3_K</c>),
/// an exact product.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q3_KFormat : IInt8DotFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of the quants, after the 32 bytes of <c>hmask</c>.</summary>
    private const int QuantsOffset = 32;

    /// <summary>Offset of the packed scales, after the 64 bytes of quants.</summary>
    private const int ScalesOffset = QuantsOffset + 64;

    /// <summary>Offset of <c>d</c>, after the 12 bytes of scales.</summary>
    private const int ScaleOffset = ScalesOffset + 12;

    public static int BlockElements => 256;

    public static int BlockBytes => ScaleOffset + sizeof(ushort);

    public static bool TilesRows => true;

    public static bool DecodesBlocks => true;

    /// <summary>
    /// The 16 multipliers <c>d · (sc[i] − 32)</c> to coefficients[0..15], the same bits as <see cref="Locate"/>'s.
    /// With AVX-512F, all 16 at once (<see cref="SubScales"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeBlock(byte* block, float* coefficients)
    {
        byte* scales = block + ScalesOffset;
        float d = QuantBits.Half(block + ScaleOffset);
        if (Avx512F.IsSupported)
        {
            (Vector512.Create(d) * Vector512.ConvertToSingle(SubScales(scales))).Store(coefficients);
        }
        else
        {
            for (int i = 0; i < 16; i++)
                coefficients[i] = d * SubScale(scales, i);
        }
    }

    /// <summary>Group <paramref name="group"/>'s weights from <see cref="DecodeBlock"/>'s coefficients (scales 2·group
    /// and 2·group + 1): each half's eight possible weights <c>(d · (sc − 32)) · q</c> (exact products, as before),
    /// looked up by a 3-bit index of the quant's two bits and the inverse of its <c>hmask</c> bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDecoded(byte* block, int group, float* coefficients, out Vector512<float> w0, out Vector512<float> w1)
    {
        int half = group >> 2, j = group & 3;
        byte* q = block + QuantsOffset + 32 * half;
        int shift = 2 * j;
        // Index bits 0..1: the quant's two bits; bit 2: its hmask bit (set: q as is; clear: q − 4); bit 3 arbitrary,
        // so the table repeats with period 8: −4..−1 where bit 2 is clear, 0..3 where it is set.
        var values = Vector512.Create(-4f, -3, -2, -1, 0, 1, 2, 3, -4, -3, -2, -1, 0, 1, 2, 3);
        Vector512<float> table0 = values * Vector512.Create(coefficients[2 * group]);
        Vector512<float> table1 = values * Vector512.Create(coefficients[2 * group + 1]);
        var two = Vector512.Create(3);
        w0 = QuantBits.Lookup16(table0, Vector512.ConditionalSelect(two, QuantBits.Bytes16(q) >>> shift, QuantBits.MoveBit(QuantBits.Bytes16(block), group, 2)));
        w1 = QuantBits.Lookup16(table1, Vector512.ConditionalSelect(two, QuantBits.Bytes16(q + 16) >>> shift, QuantBits.MoveBit(QuantBits.Bytes16(block + 16), group, 2)));
    }

    /// <summary>All sixteen <see cref="SubScale"/> values at once (AVX-512F): lane i's low nibble from byte
    /// <c>i mod 8</c> (shifted by 0 or 4) and its top two bits from the word of bytes 8..11, shifted by
    /// <c>8·(i mod 4) + 2·(i/4)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> SubScales(byte* scales)
    {
        Vector256<int> bytes = QuantBits.Bytes8(scales);
        Vector512<int> low = Vector512.Create(bytes, bytes >>> 4) & Vector512.Create(0xF);
        Vector512<uint> shifts = Vector512.Create(0u, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22, 30);
        Vector512<int> high = Avx512F.ShiftRightLogicalVariable(Vector512.Create(Unsafe.ReadUnaligned<uint>(scales + 8)), shifts).AsInt32() & Vector512.Create(3);
        return (low | (high << 4)) - Vector512.Create(32);
    }

    /// <summary>All sixteen <see cref="SubScale"/> values as signed bytes (AVX-512VL), in 128-bit lanes: with the scale
    /// bytes as three words <c>w0, w1, w2</c>, bytes 0..3 of the result are the low nibbles of <c>w0</c>, 4..7 of
    /// <c>w1</c>, 8..11 the high nibbles of <c>w0</c>, 12..15 of <c>w1</c> (a byte shuffle, then a per-word shift), and
    /// each byte's top two bits are bits 0–1, 2–3, 4–5 or 6–7 of the same byte of <c>w2</c>, rotated to bits 4–5 (a
    /// broadcast shuffle, a per-word rotate); then the bias of 32 comes off.</summary>
    /// <remarks>About half the vector work of <see cref="SubScales"/>' 16 lanes of 32 bits, which one row's step of the
    /// integer products repeats per block. The one load ends at the last scale byte (it starts in the quants before them),
    /// so it stays inside the block.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> SubScaleBytes(byte* block)
    {
        Vector128<byte> bytes = Vector128.Load(block + ScalesOffset - 4); // quants 60..63, then the 12 scale bytes
        Vector128<uint> nibbles = Avx2.ShiftRightLogicalVariable(
            Ssse3.Shuffle(bytes, Vector128.Create((byte)4, 5, 6, 7, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11)).AsUInt32(),
            Vector128.Create(0u, 0, 4, 4));
        Vector128<uint> tops = Avx512F.VL.RotateLeftVariable(
            Ssse3.Shuffle(bytes, Vector128.Create((byte)12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15)).AsUInt32(),
            Vector128.Create(4u, 2, 0, 30));
        Vector128<uint> unbiased = (nibbles & Vector128.Create(0x0F0F0F0Fu)) | (tops & Vector128.Create(0x30303030u));
        return unbiased.AsSByte() - Vector128.Create((sbyte)32);
    }

    /// <summary>
    /// Scale <paramref name="index"/> (0..15), unpacked as ggml's kmask1/kmask2 shuffle does: its low 4 bits are the
    /// low (index &lt; 8) or high nibble of byte <c>index mod 8</c>, its top 2 bits are bits <c>2·(index/4)</c> and up
    /// of byte <c>8 + index mod 4</c>; stored with a bias of 32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SubScale(byte* scales, int index)
    {
        int low = (scales[index & 7] >> (4 * (index >> 3))) & 0xF;
        int high = (scales[8 + (index & 3)] >> (2 * (index >> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /// <summary>Where group <paramref name="group"/>'s quants are, their shift, and its two halves' multipliers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Locate(byte* block, int group, out byte* quants, out int shift, out float scale0, out float scale1)
    {
        int half = group >> 2, j = group & 3;
        quants = block + QuantsOffset + 32 * half;
        shift = 2 * j;
        float d = QuantBits.Half(block + ScaleOffset);
        scale0 = d * SubScale(block + ScalesOffset, 8 * half + 2 * j);
        scale1 = d * SubScale(block + ScalesOffset, 8 * half + 2 * j + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quants16(byte* quants, int shift, byte* mask, int group)
        => Vector512.ConvertToSingle(((QuantBits.Bytes16(quants) >>> shift) & Vector512.Create(3))
            - ((~(QuantBits.Bytes16(mask) >>> group) & Vector512.Create(1)) << 2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Quants8(byte* quants, int shift, byte* mask, int group)
        => Vector256.ConvertToSingle(((QuantBits.Bytes8(quants) >>> shift) & Vector256.Create(3))
            - ((~(QuantBits.Bytes8(mask) >>> group) & Vector256.Create(1)) << 2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        Locate(block, group, out byte* q, out int shift, out float scale0, out float scale1);
        w0 = Quants16(q, shift, block, group) * Vector512.Create(scale0);
        w1 = Quants16(q + 16, shift, block + 16, group) * Vector512.Create(scale1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        Locate(block, group, out byte* q, out int shift, out float scale0, out float scale1);
        var s0 = Vector256.Create(scale0);
        var s1 = Vector256.Create(scale1);
        w0 = Quants8(q, shift, block, group) * s0;
        w1 = Quants8(q + 8, shift, block + 8, group) * s0;
        w2 = Quants8(q + 16, shift, block + 16, group) * s1;
        w3 = Quants8(q + 24, shift, block + 24, group) * s1;
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
        Locate(block, group, out byte* q, out int shift, out float scale0, out float scale1);
        int l = index & 31;
        int quant = ((q[l] >> shift) & 3) - (((block[l] >> group) & 1) != 0 ? 0 : 4);
        return (l < 16 ? scale0 : scale1) * quant;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8DotFormat): u = the 2-bit quant plus 4 · its hmask bit (0..7, the weight's q + 4);
    // A = d, α = sc[s] − 32; B = −4d, β = α, per slice.

    public static bool IntegersPerSubBlock => false;

    public static Int8StepOrder StepOrder => Int8StepOrder.Halves;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeIntegers(byte* block, out float a, out float b, out Vector256<short> alpha, out Vector256<short> beta)
    {
        a = QuantBits.Half(block + ScaleOffset);
        b = -4 * a;
        byte* scales = block + ScalesOffset;
        if (Avx512F.VL.IsSupported)
        {
            alpha = Avx2.ConvertToVector256Int16(SubScaleBytes(block));
        }
        else
        {
            alpha = Vector256.Create(
                (short)SubScale(scales, 0), (short)SubScale(scales, 1), (short)SubScale(scales, 2), (short)SubScale(scales, 3),
                (short)SubScale(scales, 4), (short)SubScale(scales, 5), (short)SubScale(scales, 6), (short)SubScale(scales, 7),
                (short)SubScale(scales, 8), (short)SubScale(scales, 9), (short)SubScale(scales, 10), (short)SubScale(scales, 11),
                (short)SubScale(scales, 12), (short)SubScale(scales, 13), (short)SubScale(scales, 14), (short)SubScale(scales, 15));
        }
        beta = alpha;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Unsigned32(byte* block, int group)
    {
        Vector256<byte> quants = (Vector256.Load(block + QuantsOffset + 32 * (group >> 2)) >>> (2 * (group & 3))) & Vector256.Create((byte)3);
        Vector256<byte> high = (Vector256.Load(block) >>> group) & Vector256.Create((byte)1);
        return quants | (high << 2);
    }

    /// <summary>Groups <paramref name="step"/> and + 4: the same bit field of both 32-byte runs of quants, and bits
    /// <paramref name="step"/> and + 4 of the 32 bytes of <c>hmask</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Unsigned64(byte* block, int step)
    {
        // Bits 0..1: the quant's two bits; bit 2: the hmask bit of its group (bit group of hmask[l]); all else 0.
        Vector512<byte> quants = QuantBits.TwoBitFieldsOf64(block + QuantsOffset, 2 * step);
        return quants | QuantBits.BitFields64(block, step, step + 4, width: 1, to: 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UnsignedElement(byte* block, int index)
    {
        int group = index >> 5, l = index & 31;
        int quant = (block[QuantsOffset + 32 * (group >> 2) + l] >> (2 * (group & 3))) & 3;
        return quant | (((block[l] >> group) & 1) << 2);
    }
}
