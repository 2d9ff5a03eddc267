using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q5_1 (ggml-common.h, <c>block_q5_1</c>): blocks of 32 weights in 24 bytes: a half scale <c>d</c>, a half
/// minimum <c>m</c>, a little-endian 32-bit word <c>qh</c> whose bit i is quant i's fifth bit, then 16 bytes whose low
/// nibbles are quants 0..15 and high nibbles quants 16..31; weight i is <c>d · q[i] + m</c> (ggml-quants.c,
/// <c>dequantize_row_q5_1</c>), rounded once.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q5_1Format : IInt8BlockFormat
#pragma warning restore CA1707
{
    /// <summary>Offset of <c>qh</c>, after the half scale and minimum.</summary>
    private const int HighBitsOffset = 2 * sizeof(ushort);

    /// <summary>Offset of the nibbles, after <c>qh</c>.</summary>
    private const int NibblesOffset = HighBitsOffset + sizeof(uint);

    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => NibblesOffset + WeightBlock.Elements / 2;

    public static bool TilesRows => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        var d = Vector512.Create(QuantBits.Half(block));
        var m = Vector512.Create(QuantBits.Half(block + 2));
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        Vector512<int> bytes = QuantBits.Bytes16(block + NibblesOffset);
        // The 32 possible weights d · q + m, each computed as before (same bits), looked up per 5-bit quant.
        Vector512<float> lower = Vector512.MultiplyAddEstimate(QuantBits.Nibbles, d, m);
        Vector512<float> upper = Vector512.MultiplyAddEstimate(QuantBits.Nibbles + Vector512.Create(16f), d, m);
        w0 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(bytes, QuantBits.FifthBits(high, 0)));
        w1 = QuantBits.Lookup32(lower, upper, QuantBits.Index5(bytes >>> 4, QuantBits.FifthBits(high, 16)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        var d = Vector256.Create(QuantBits.Half(block));
        var m = Vector256.Create(QuantBits.Half(block + 2));
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        Vector256<int> low = QuantBits.Bytes8(block + NibblesOffset), upper = QuantBits.Bytes8(block + NibblesOffset + 8);
        var nibble = Vector256.Create(0xF);
        w0 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((low & nibble) | QuantBits.Bit4x8(high, 0)), d, m);
        w1 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((upper & nibble) | QuantBits.Bit4x8(high, 8)), d, m);
        w2 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((low >>> 4) | QuantBits.Bit4x8(high, 16)), d, m);
        w3 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle((upper >>> 4) | QuantBits.Bit4x8(high, 24)), d, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index)
    {
        uint high = Unsafe.ReadUnaligned<uint>(block + HighBitsOffset);
        byte packed = block[NibblesOffset + (index & 15)];
        int q = (index < 16 ? packed & 0xF : packed >> 4) | (int)((high >> index) & 1) << 4;
        return QuantBits.Half(block) * q + QuantBits.Half(block + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8BlockFormat): u = the nibble and fifth bit, weight d · u + m.

    public static int Offset => 0;

    public static bool HasMinimum => true;

    static int IInt8BlockFormat.NibblesOffset => NibblesOffset;

    public static int FifthBitsOffset => HighBitsOffset;
}
