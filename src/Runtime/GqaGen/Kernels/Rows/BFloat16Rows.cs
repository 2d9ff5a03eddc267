using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary><see cref="KvElementType.BFloat16"/> rows: the upper 16 bits of a single, widened exactly by a zero-extending
/// load and a 16-bit shift (infinities and NaNs included).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BFloat16Rows : IKvRowFormat
{
    /// <inheritdoc/>
    public static KvElementType ElementType => KvElementType.BFloat16;

    /// <inheritdoc/>
    public static bool WidensInRegisters => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowBytes(int headDim) => headDim * sizeof(ushort);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int element)
    {
        Vector256<ushort> bits = Vector256.LoadUnsafe(ref Unsafe.As<byte, ushort>(ref row), (nuint)element);
        Vector512<uint> wide = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512UInt32(bits)
            : Vector512.Create(Vector256.WidenLower(bits), Vector256.WidenUpper(bits));
        return (wide << 16).AsSingle();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int element)
    {
        Vector128<ushort> bits = Vector128.LoadUnsafe(ref Unsafe.As<byte, ushort>(ref row), (nuint)element);
        Vector256<uint> wide = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32(bits).AsUInt32()
            : Vector256.Create(Vector128.WidenLower(bits), Vector128.WidenUpper(bits));
        return (wide << 16).AsSingle();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref byte row, int element)
        => BitConverter.Int32BitsToSingle(Unsafe.Add(ref Unsafe.As<byte, ushort>(ref row), element) << 16);

    /// <inheritdoc/>
    public static void Encode(ReadOnlySpan<float> source, Span<byte> row)
    {
        Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(row).Slice(0, source.Length);
        for (int i = 0; i < source.Length; i++)
            halves[i] = FromSingle(source[i]);
    }

    /// <summary>The bfloat16 nearest to <paramref name="value"/>, ties to even; NaN stays a (quiet) NaN of the same sign.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even; a carry into the exponent is correct
        // (it rounds up to the next binade, or to infinity past the largest finite bfloat16).
        bits += 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }
}
