using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>
/// GGML_TYPE_Q8_0 (ggml-common.h, <c>block_q8_0</c>): blocks of 32 weights, each 34 bytes: a little-endian IEEE half
/// scale <c>d</c>, then 32 signed bytes <c>q</c>; weight i is <c>d · q[i]</c>.
/// </summary>
/// <remarks>The products are formed in fp32 and are exact (see <see cref="IWeightFormat"/>). The vector loads read
/// 16 or 8 bytes at a time, always inside the block: a block's bytes are never read past its 34th.</remarks>
#pragma warning disable CA1707 // Named after ggml's type.
internal readonly unsafe struct Q8_0Format : IWeightFormat
#pragma warning restore CA1707
{
    /// <summary>Bytes before the quants: the half scale.</summary>
    private const int ScaleBytes = sizeof(ushort);

    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => ScaleBytes + WeightBlock.Elements;

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
        sbyte* q = (sbyte*)(block + ScaleBytes);
        q0 = Vector512.ConvertToSingle(Widen.Int8ToInt32x16(q));
        q1 = Vector512.ConvertToSingle(Widen.Int8ToInt32x16(q + 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
    {
        sbyte* q = (sbyte*)(block + ScaleBytes);
        q0 = Vector256.ConvertToSingle(Widen.Int8ToInt32x8(q));
        q1 = Vector256.ConvertToSingle(Widen.Int8ToInt32x8(q + 8));
        q2 = Vector256.ConvertToSingle(Widen.Int8ToInt32x8(q + 16));
        q3 = Vector256.ConvertToSingle(Widen.Int8ToInt32x8(q + 24));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block, int group) => HalfBits.ToSingle(Unsafe.ReadUnaligned<ushort>(block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index) => Scale(block, 0) * Quant(block, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => ((sbyte*)(block + ScaleBytes))[index];
}
