using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q5_0 (ggml-common.h, <c>block_q5_0</c>): blocks of 32 weights in 22 bytes: a half scale <c>d</c>, a
/// little-endian 32-bit word <c>qh</c> whose bit i is quant i's fifth bit, then 16 bytes whose low nibbles are quants
/// 0..15 and high nibbles quants 16..31; weight i is <c>d · (q[i] − 16)</c> (ggml-quants.c,
/// <c>dequantize_row_q5_0</c>), an exact product.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q5_0Format : IInt8BlockFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of <c>qh</c>, after the half scale.</summary>
    private const int HighBitsOffset = sizeof(ushort);

    /// <summary>Offset of the nibbles, after <c>qh</c>.</summary>
    private const int NibblesOffset = HighBitsOffset + sizeof(uint);

    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => NibblesOffset + WeightBlock.Elements / 2;

    public static bool TilesRows => true;

    public static bool ScalesBlockSums => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        var d = Vector512.Create(Scale(block, group));
        LoadQuants(block, group, out Vector512<float> q0, out Vector512<float> q1);
        w0 = q0 * d;
        w1 = q1 * d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        var d = Vector256.Create(Scale(block, group));
        LoadQuants(block, group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3);
        w0 = q0 * d;
        w1 = q1 * d;
        w2 = q2 * d;
        w3 = q3 * d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1)
    {
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        Vector512<int> bytes = QuantBits.Bytes16(block + NibblesOffset);
        // The 32-entry table holds q − 16 (−16..−1, then 0..15): a lookup replaces the subtraction and conversion.
        Vector512<float> lower = QuantBits.Nibbles - Vector512.Create(16f), upper = QuantBits.Nibbles;
        q0 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(bytes, QuantBits.FifthBits(high, 0)));
        q1 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(bytes >>> 4, QuantBits.FifthBits(high, 16)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
    {
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        Vector256<int> low = QuantBits.Bytes8(block + NibblesOffset), upper = QuantBits.Bytes8(block + NibblesOffset + 8);
        var sixteen = Vector256.Create(16);
        var nibble = Vector256.Create(0xF);
        q0 = Vector256.ConvertToSingle(((low & nibble) | QuantBits.Bit4x8(high, 0)) - sixteen);
        q1 = Vector256.ConvertToSingle(((upper & nibble) | QuantBits.Bit4x8(high, 8)) - sixteen);
        q2 = Vector256.ConvertToSingle(((low >>> 4) | QuantBits.Bit4x8(high, 16)) - sixteen);
        q3 = Vector256.ConvertToSingle(((upper >>> 4) | QuantBits.Bit4x8(high, 24)) - sixteen);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block, int group) => QuantBits.Half(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index) => Scale(block, 0) * Quant(block, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index)
    {
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        byte packed = block[NibblesOffset + (index & 15)];
        int nibble = index < 16 ? packed & 0xF : packed >> 4;
        return (nibble | (int)((high >> index) & 1) << 4) - 16;
    }

    // Integer dot products (IInt8BlockFormat): u = the nibble and fifth bit, weight d · (u − 16).

    public static int Offset => -16;

    public static bool HasMinimum => false;

    static int IInt8BlockFormat.NibblesOffset => NibblesOffset;

    public static int FifthBitsOffset => HighBitsOffset;
}
