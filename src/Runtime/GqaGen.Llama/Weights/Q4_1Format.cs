using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q4_1 (ggml-common.h, <c>block_q4_1</c>): blocks of 32 weights in 20 bytes: a half scale <c>d</c> and a
/// half minimum <c>m</c>, then 16 bytes whose low nibbles are quants 0..15 and high nibbles quants 16..31; weight i
/// is <c>d · q[i] + m</c> (ggml-quants.c, <c>dequantize_row_q4_1</c>): the product is exact, so the sum rounds once,
/// fused or not.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q4_1Format : IInt8BlockFormat
#pragma warning restore CA1707
{
    /// <summary>Bytes before the quants: the half scale and the half minimum.</summary>
    private const int HeaderBytes = 2 * sizeof(ushort);

    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => HeaderBytes + WeightBlock.Elements / 2;

    public static bool TilesRows => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        var d = Vector512.Create(QuantBits.Half(block));
        var m = Vector512.Create(QuantBits.Half(block + 2));
        // The 16 possible weights d · q + m, each computed as before (so the same bits), then looked up per nibble:
        // one multiply-add per group instead of one per 16 weights, and no mask or conversion.
        Vector512<float> table = Vector512.MultiplyAddEstimate(QuantBits.Nibbles, d, m);
        Vector512<int> bytes = QuantBits.Bytes16(block + HeaderBytes);
        w0 = QuantBits.Lookup16(table, bytes);
        w1 = QuantBits.Lookup16(table, bytes >>> 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        var d = Vector256.Create(QuantBits.Half(block));
        var m = Vector256.Create(QuantBits.Half(block + 2));
        Vector256<int> low = QuantBits.Bytes8(block + HeaderBytes), high = QuantBits.Bytes8(block + HeaderBytes + 8);
        var nibble = Vector256.Create(0xF);
        w0 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(low & nibble), d, m);
        w1 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(high & nibble), d, m);
        w2 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(low >>> 4), d, m);
        w3 = Vector256.MultiplyAddEstimate(Vector256.ConvertToSingle(high >>> 4), d, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index)
    {
        byte packed = block[HeaderBytes + (index & 15)];
        int q = index < 16 ? packed & 0xF : packed >> 4;
        return QuantBits.Half(block) * q + QuantBits.Half(block + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);

    // Integer dot products (IInt8BlockFormat): u = the nibble, weight d · u + m.

    public static int Offset => 0;

    public static bool HasMinimum => true;

    public static int NibblesOffset => HeaderBytes;

    public static int FifthBitsOffset => 0;
}
