using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>GGML_TYPE_BF16: the upper 16 bits of an IEEE single, little-endian; widening is a shift left by 16,
/// exact for every value, infinities and NaNs included.</summary>
internal readonly unsafe struct BF16Format : IWeightFormat
{
    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => WeightBlock.Elements * sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        w0 = (Widen.UInt16ToInt32x16((ushort*)block) << 16).AsSingle();
        w1 = (Widen.UInt16ToInt32x16((ushort*)block + 16) << 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        w0 = (Widen.UInt16ToInt32x8((ushort*)block) << 16).AsSingle();
        w1 = (Widen.UInt16ToInt32x8((ushort*)block + 8) << 16).AsSingle();
        w2 = (Widen.UInt16ToInt32x8((ushort*)block + 16) << 16).AsSingle();
        w3 = (Widen.UInt16ToInt32x8((ushort*)block + 24) << 16).AsSingle();
    }

    public static bool TilesRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index) => BitConverter.Int32BitsToSingle(((ushort*)block)[index] << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);
}
