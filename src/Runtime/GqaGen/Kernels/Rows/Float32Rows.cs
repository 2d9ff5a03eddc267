using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Kernels;

/// <summary><see cref="KvElementType.Float32"/> rows: plain singles, loaded as they are.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Float32Rows : IKvRowFormat
{
    /// <inheritdoc/>
    public static KvElementType ElementType => KvElementType.Float32;

    /// <inheritdoc/>
    public static bool WidensInRegisters => false;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowBytes(int headDim) => headDim * sizeof(float);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int element)
        => Vector512.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), (nuint)element);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int element)
        => Vector256.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), (nuint)element);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref byte row, int element) => Unsafe.Add(ref Unsafe.As<byte, float>(ref row), element);

    /// <inheritdoc/>
    public static void Encode(ReadOnlySpan<float> source, Span<byte> row) => source.CopyTo(MemoryMarshal.Cast<byte, float>(row));
}
