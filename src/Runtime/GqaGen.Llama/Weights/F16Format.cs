using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GqaGen.Kernels;

namespace GqaGen.Llama;

/// <summary>GGML_TYPE_F16: little-endian IEEE half-precision floats, converted exactly by <see cref="HalfBits"/>.</summary>
internal readonly unsafe struct F16Format : IWeightFormat
{
    public static int BlockElements => WeightBlock.Elements;

    public static int BlockBytes => WeightBlock.Elements * sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector512<float> w0, out Vector512<float> w1)
    {
        w0 = HalfBits.Load16((short*)block);
        w1 = HalfBits.Load16((short*)block + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(byte* block, int group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3)
    {
        w0 = HalfBits.Load8((short*)block);
        w1 = HalfBits.Load8((short*)block + 8);
        w2 = HalfBits.Load8((short*)block + 16);
        w3 = HalfBits.Load8((short*)block + 24);
    }

    public static bool TilesRows => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector512<float> q0, out Vector512<float> q1) => Load(block, group, out q0, out q1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadQuants(byte* block, int group, out Vector256<float> q0, out Vector256<float> q1, out Vector256<float> q2, out Vector256<float> q3)
        => Load(block, group, out q0, out q1, out q2, out q3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Element(byte* block, int index) => HalfBits.ToSingle(((ushort*)block)[index]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Quant(byte* block, int index) => Element(block, index);
}
