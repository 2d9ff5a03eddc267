using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GqaGen.Kernels;

/// <summary>
/// <see cref="KvElementType.Q8_0"/> rows in llama.cpp's <c>block_q8_0</c> layout: per 32 elements, a little-endian half
/// scale <c>d</c> followed by 32 signed bytes <c>q</c>, the element being <c>q · d</c>. A row is padded with zero
/// elements to whole blocks.
/// </summary>
/// <remarks>
/// Loads sign-extend the bytes (<c>vpmovsxbd</c>), convert them to singles and multiply by the block's scale. A vector
/// whose lanes cross into the next block (only the overlapping last vector of a head dimension that is not a multiple
/// of 32 does) loads both blocks' bytes and blends: both loads stay inside the two blocks.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Q8_0Rows : IKvRowFormat
{
    private const int BlockElements = KvElementTypeExtensions.Q8_0BlockElements;
    private const int BlockBytes = KvElementTypeExtensions.Q8_0BlockBytes;
    private const int ScaleBytes = sizeof(ushort);

    /// <inheritdoc/>
    public static KvElementType ElementType => KvElementType.Q8_0;

    /// <inheritdoc/>
    public static bool WidensInRegisters => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowBytes(int headDim) => (headDim + BlockElements - 1) / BlockElements * BlockBytes;

    /// <inheritdoc/>
    /// <remarks>Written with as few locals as possible, and the block-crossing case tested on the parameter itself: the JIT
    /// stops inlining into a method that already holds 512 locals, a generated driver inlines well over a hundred of
    /// these loads, and a constant offset then folds the branch away before its locals are created (measured on the
    /// Llama-3-8B driver: 31 loads left as calls before, none after).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref byte row, int element)
    {
        // Tested on the parameter, so that for a constant offset (generated code) the JIT drops the branch while importing.
        if (element % BlockElements > BlockElements - Vector512<float>.Count)
            return Load512AcrossBlocks(ref row, element);
        return Widen16(ref Unsafe.Add(ref row, element / BlockElements * BlockBytes + ScaleBytes + element % BlockElements))
            * Scale512(ref Unsafe.Add(ref row, element / BlockElements * BlockBytes));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref byte row, int element)
    {
        if (element % BlockElements > BlockElements - Vector256<float>.Count)
            return Load256AcrossBlocks(ref row, element);
        return Widen8(ref Unsafe.Add(ref row, element / BlockElements * BlockBytes + ScaleBytes + element % BlockElements))
            * Scale256(ref Unsafe.Add(ref row, element / BlockElements * BlockBytes));
    }

    /// <summary>A 16-lane load whose lanes start in one block and end in the next (only the overlapping last vector of a
    /// head dimension that is not a multiple of 32 does this): both blocks' bytes, blended. Inlined, not called: a call,
    /// even on a branch the generic kernel rarely takes, makes the JIT spill every vector register around each load
    /// (measured: generic q8_0 decode 2× slower); for constant offsets the branch, and so these locals, never exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512AcrossBlocks(ref byte row, int element)
    {
        ref byte block = ref Unsafe.Add(ref row, element / BlockElements * BlockBytes);
        int inBlock = element % BlockElements;
        Vector512<float> values = Widen16(ref Unsafe.Add(ref block, ScaleBytes + inBlock)) * Scale512(ref block);
        // Lanes from `fromNext` on are the next block's elements 0, 1, …: load 16 bytes that end with them
        // (starting inside this block, past its scale) and take only those lanes.
        int fromNext = BlockElements - inBlock;
        ref byte next = ref Unsafe.Add(ref block, BlockBytes);
        Vector512<float> high = Widen16(ref Unsafe.Add(ref next, ScaleBytes - fromNext)) * Scale512(ref next);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(fromNext)).AsSingle(), high, values);
    }

    /// <summary>The 8-lane counterpart of <see cref="Load512AcrossBlocks"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256AcrossBlocks(ref byte row, int element)
    {
        ref byte block = ref Unsafe.Add(ref row, element / BlockElements * BlockBytes);
        int inBlock = element % BlockElements;
        Vector256<float> values = Widen8(ref Unsafe.Add(ref block, ScaleBytes + inBlock)) * Scale256(ref block);
        int fromNext = BlockElements - inBlock;
        ref byte next = ref Unsafe.Add(ref block, BlockBytes);
        Vector256<float> high = Widen8(ref Unsafe.Add(ref next, ScaleBytes - fromNext)) * Scale256(ref next);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(fromNext)).AsSingle(), high, values);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref byte row, int element)
    {
        ref byte block = ref Unsafe.Add(ref row, element / BlockElements * BlockBytes);
        return (sbyte)Unsafe.Add(ref block, ScaleBytes + element % BlockElements) * Scale(ref block);
    }

    /// <summary>
    /// Quantizes as ggml's <c>quantize_row_q8_0_ref</c>: per block, <c>d = max|x| / 127</c> stored as a half,
    /// <c>q = round(x / d)</c> (halves away from zero) computed with the unrounded <c>1 / d</c>; an all-zero block gets
    /// <c>d = 0</c>. Elements past the row's end are quantized as zeros.
    /// </summary>
    public static void Encode(ReadOnlySpan<float> source, Span<byte> row)
    {
        Span<float> padded = stackalloc float[BlockElements];
        for (int start = 0; start < source.Length; start += BlockElements)
        {
            scoped ReadOnlySpan<float> x = source.Slice(start, Math.Min(BlockElements, source.Length - start));
            if (x.Length < BlockElements)
            {
                padded.Clear();
                x.CopyTo(padded);
                x = padded;
            }
            float max = 0f;
            foreach (float v in x)
                max = Math.Max(max, MathF.Abs(v)); // a NaN element makes d NaN, so its whole block reads back as NaN
            float d = max / 127f;
            float inverse = d != 0f ? 1f / d : 0f;
            Span<byte> block = row.Slice(start / BlockElements * BlockBytes, BlockBytes);
            MemoryMarshal.Write(block, HalfBits.FromSingleSaturated(d));
            for (int j = 0; j < BlockElements; j++)
                block[ScaleBytes + j] = (byte)(sbyte)Math.Clamp(MathF.Round(x[j] * inverse, MidpointRounding.AwayFromZero), -127f, 127f);
        }
    }

    /// <summary>The block's scale. A NaN scale (a block that held a NaN) must read back as NaN, which the fast conversion
    /// cannot do, so exponent 31 is rebuilt as a single's infinity/NaN with the same sign and payload, in integer
    /// operations: a call (such as to Half's conversion) here, even never taken, makes the JIT spill every vector
    /// register around each inlined load (measured: q8_0 decode 3× slower).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(ref byte block)
    {
        int bits = Unsafe.ReadUnaligned<ushort>(ref block);
        return (bits & 0x7C00) != 0x7C00
            ? HalfBits.ToSingle((ushort)bits)
            : BitConverter.Int32BitsToSingle(((bits & 0x8000) << 16) | 0x7F80_0000 | ((bits & 0x3FF) << 13));
    }

    /// <summary>A half's all-ones exponent (31) where a half in bits 31..16 has it.</summary>
    private const int ExponentAllOnesHigh = 0x7C00 << 16;

    /// <summary>Keeps the sign and the half's exponent and mantissa shifted to a single's positions, clearing the sign
    /// copies an arithmetic shift by 3 leaves in bits 30..28 (as <see cref="HalfBits.ToSingle(Vector512{int})"/>).</summary>
    private const int SignExponentMantissaMask = unchecked((int)0x8FFF_FFFF);

    /// <summary>A single's exponent field, all ones.</summary>
    private const int SingleExponentBits = 0x7F80_0000;

    /// <summary>
    /// The block's scale in all sixteen lanes, converted in vector registers without a branch: the scale's bits and the
    /// block's first two quants are broadcast as one 32-bit word (both inside the block), shifted so that the half sits
    /// in bits 31..16, shifted right by 3 (arithmetic) to a single's positions and rescaled by 2^112 as
    /// <see cref="HalfBits.ToSingle(Vector512{int})"/> does; a scale with exponent 31
    /// (NaN: a block that held a NaN) gets a single's all-ones exponent with its mantissa, so it reads back as NaN.
    /// </summary>
    /// <remarks>Per vector load rather than per block, because the row format is read one vector at a time; the JIT may
    /// share parts of it between the two loads of one block (same address, no store between), and in the generated
    /// Llama3_8B score tile it shares some of the shifts but not the exponent check. The scalar form with its branches,
    /// once per load, made q8_0 decode slower than f32 (Llama3_8B, 32,768 positions, 2026-12-04).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scale512(ref byte block)
    {
        Vector512<int> high = Vector512.Create(Unsafe.ReadUnaligned<int>(ref block)) << 16;
        Vector512<float> scale = (Vector512.ShiftRightArithmetic(high, 3) & Vector512.Create(SignExponentMantissaMask)).AsSingle() * Vector512.Create(HalfBits.TwoPow112);
        Vector512<int> special = Vector512.Equals(high & Vector512.Create(ExponentAllOnesHigh), Vector512.Create(ExponentAllOnesHigh));
        return (scale.AsInt32() | (special & Vector512.Create(SingleExponentBits))).AsSingle();
    }

    /// <summary>The 8-lane counterpart of <see cref="Scale512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale256(ref byte block)
    {
        Vector256<int> high = Vector256.Create(Unsafe.ReadUnaligned<int>(ref block)) << 16;
        Vector256<float> scale = (Vector256.ShiftRightArithmetic(high, 3) & Vector256.Create(SignExponentMantissaMask)).AsSingle() * Vector256.Create(HalfBits.TwoPow112);
        Vector256<int> special = Vector256.Equals(high & Vector256.Create(ExponentAllOnesHigh), Vector256.Create(ExponentAllOnesHigh));
        return (scale.AsInt32() | (special & Vector256.Create(SingleExponentBits))).AsSingle();
    }

    /// <summary>Sixteen signed bytes at <paramref name="source"/>, as singles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen16(ref byte source)
    {
        if (Avx512F.IsSupported)
            return Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.As<byte, sbyte>(ref source))));
        Vector128<sbyte> bytes = Vector128.LoadUnsafe(ref Unsafe.As<byte, sbyte>(ref source));
        Vector256<short> shorts = Vector256.Create(Vector128.WidenLower(bytes), Vector128.WidenUpper(bytes));
        return Vector512.ConvertToSingle(Vector512.Create(Vector256.WidenLower(shorts), Vector256.WidenUpper(shorts)));
    }

    /// <summary>Eight signed bytes at <paramref name="source"/> (exactly eight are read), as singles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen8(ref byte source)
    {
        Vector128<sbyte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref source)).AsSByte();
        if (Avx2.IsSupported)
            return Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(bytes));
        Vector128<short> shorts = Vector128.WidenLower(bytes);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts)));
    }
}
