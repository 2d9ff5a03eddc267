using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q4_0 (ggml-common.h, <c>block_q4_0</c>): blocks of 32 weights in 18 bytes: a half scale <c>d</c>, then
/// 16 bytes whose low nibbles are quants 0..15 and high nibbles quants 16..31; weight i is <c>d · (q[i] − 8)</c>
/// (ggml-quants.c, <c>dequantize_row_q4_0</c>), an exact product.
/// </summary>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q4_0Format : IInt8BlockFormat
#pragma warning restore CA1707
{
    /// <summary>Bytes before the quants: the half scale.</summary>
    private const int ScaleBytes = sizeof(ushort);

    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => ScaleBytes + WeightBlock.Elements / 2;

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
        // The table holds q − 8, so each 16 quants cost one lookup: no mask, subtraction or conversion.
        Vector512<int> bytes = QuantBits.Bytes16(block + ScaleBytes);
        Vector512<float> table = QuantBits.Nibbles - Vector512.Create(8f);
        q0 = QuantBits.Lookup16(table, bytes);
        q1 = QuantBits.Lookup16(table, bytes >>> 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
    {
        Vector256<int> low = QuantBits.Bytes8(block + ScaleBytes), high = QuantBits.Bytes8(block + ScaleBytes + 8);
        var eight = Vector256.Create(8);
        var nibble = Vector256.Create(0xF);
        q0 = Vector256.ConvertToSingle((low & nibble) - eight);
        q1 = Vector256.ConvertToSingle((high & nibble) - eight);
        q2 = Vector256.ConvertToSingle((low >>> 4) - eight);
        q3 = Vector256.ConvertToSingle((high >>> 4) - eight);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block, int group) => QuantBits.Half(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index) => Scale(block, 0) * Quant(block, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index)
    {
        byte packed = block[ScaleBytes + (index & 15)];
        return (index < 16 ? packed & 0xF : packed >> 4) - 8;
    }

    // Integer dot products (IInt8BlockFormat): u = the nibble, weight d · (u − 8).

    public static int Offset => -8;

    public static bool HasMinimum => false;

    public static int NibblesOffset => ScaleBytes;

    public static int FifthBitsOffset => 0;
}
