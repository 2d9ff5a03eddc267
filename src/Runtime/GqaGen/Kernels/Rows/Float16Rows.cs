using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary><see cref="KvElementType.Float16"/> rows: IEEE halves, widened in registers by <see cref="HalfBits"/>
/// (sign-extending load, shift, mask, multiply; .NET 10 has no <c>vcvtph2ps</c> intrinsic).</summary>
/// <remarks>Appends saturate to ±65,504 (<see cref="HalfBits.FromSingleSaturated"/>), so every stored half is finite
/// or NaN; finite halves load exactly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Float16Rows : IKvRowFormat
{
    /// <inheritdoc/>
    public static KvElementType ElementType => KvElementType.Float16;

    /// <inheritdoc/>
    public static bool WidensInRegisters => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowBytes(int headDim) => headDim * sizeof(ushort);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int element)
    {
        Vector256<short> bits = Vector256.LoadUnsafe(ref Unsafe.As<byte, short>(ref row), (nuint)element);
        Vector512<int> wide = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(bits)
            : Vector512.Create(Vector256.WidenLower(bits), Vector256.WidenUpper(bits));
        return HalfBits.ToSingle(wide);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int element)
    {
        Vector128<short> bits = Vector128.LoadUnsafe(ref Unsafe.As<byte, short>(ref row), (nuint)element);
        Vector256<int> wide = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32(bits)
            : Vector256.Create(Vector128.WidenLower(bits), Vector128.WidenUpper(bits));
        return HalfBits.ToSingle(wide);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref byte row, int element) => HalfBits.ToSingle(Unsafe.Add(ref Unsafe.As<byte, ushort>(ref row), element));

    /// <inheritdoc/>
    public static void Encode(ReadOnlySpan<float> source, Span<byte> row)
    {
        Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(row).Slice(0, source.Length);
        for (int i = 0; i < source.Length; i++)
            halves[i] = HalfBits.FromSingleSaturated(source[i]);
    }
}
