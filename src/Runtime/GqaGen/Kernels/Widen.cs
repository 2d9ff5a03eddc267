using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// Loads of 8- and 16-bit integers widened to 32-bit lanes: one instruction each (<c>vpmovsxbd</c>, <c>vpmovsxwd</c>,
/// <c>vpmovzxwd</c> with a memory operand) where the hardware has it, portable vector code elsewhere, so that every
/// kernel path also runs (slowly, in software) where its instructions are missing, as the tests make it do.
/// </summary>
/// <remarks>Each method reads exactly the bytes it converts and nothing beyond them.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Widen
{
    /// <summary>Sixteen signed bytes at <paramref name="source"/>, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Int8ToInt32x16(sbyte* source)
    {
        Vector128<sbyte> bytes = Vector128.Load(source);
        if (Avx512F.IsSupported)
            return Avx512F.ConvertToVector512Int32(bytes);
        Vector256<short> shorts = Vector256.Create(Vector128.WidenLower(bytes), Vector128.WidenUpper(bytes));
        return Vector512.Create(Vector256.WidenLower(shorts), Vector256.WidenUpper(shorts));
    }

    /// <summary>Eight signed bytes at <paramref name="source"/>, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int8ToInt32x8(sbyte* source)
    {
        if (Avx2.IsSupported)
            return Avx2.ConvertToVector256Int32(source);
        Vector64<sbyte> bytes = Vector64.Load(source);
        Vector128<short> shorts = Vector128.Create(Vector64.WidenLower(bytes), Vector64.WidenUpper(bytes));
        return Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts));
    }

    /// <summary>Sixteen shorts at <paramref name="source"/>, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Int16ToInt32x16(short* source)
    {
        Vector256<short> shorts = Vector256.Load(source);
        return Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(shorts)
            : Vector512.Create(Vector256.WidenLower(shorts), Vector256.WidenUpper(shorts));
    }

    /// <summary>Eight shorts at <paramref name="source"/>, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Int16ToInt32x8(short* source)
    {
        if (Avx2.IsSupported)
            return Avx2.ConvertToVector256Int32(source);
        Vector128<short> shorts = Vector128.Load(source);
        return Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts));
    }

    /// <summary>Sixteen unsigned shorts at <paramref name="source"/>, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> UInt16ToInt32x16(ushort* source)
    {
        Vector256<ushort> shorts = Vector256.Load(source);
        return Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(shorts)
            : Vector512.Create(Vector256.WidenLower(shorts), Vector256.WidenUpper(shorts)).AsInt32();
    }

    /// <summary>Eight unsigned shorts at <paramref name="source"/>, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> UInt16ToInt32x8(ushort* source)
    {
        if (Avx2.IsSupported)
            return Avx2.ConvertToVector256Int32(source);
        Vector128<ushort> shorts = Vector128.Load(source);
        return Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts)).AsInt32();
    }
}
