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

    /// <summary>The block's scale as a single, from <see cref="HalfBits.FromTable"/>: exact (a NaN scale, from a block
    /// that held a NaN, reads back as NaN).</summary>
    /// <remarks>A table load that the vector loads broadcast: the decode kernels are bound by their vector arithmetic, and
    /// converting the half in vector registers (about eight vector instructions per 16-lane load) or with scalar integer
    /// operations and a multiply (about nine instructions, three of them vector ones) left less room for the FMAs.
    /// Measured with the generated kernels alternated in one process (1 thread, ns per K+V row; this table, the scalar
    /// conversion, the vector one): Llama-3-8B layout with the K/V in L2 18.6–19.3, 21.5–21.9, 25.2–25.7; from DRAM
    /// 19.3–19.6, 22.0–22.2, 24.9–25.0; TinyLlama in L2 20.7–21.0, 22.8–22.9, 24.9–25.2 (Zen 5 VM, 2026-12-05). A q8_0
    /// <see cref="KvCache"/> initializes the table when created (<see cref="HalfBits.InitializeTable"/>), before any
    /// kernel reading it is compiled.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(ref byte block) => HalfBits.FromTable(Unsafe.ReadUnaligned<ushort>(ref block));

    /// <summary>The block's scale in all sixteen lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scale512(ref byte block) => Vector512.Create(Scale(ref block));

    /// <summary>The block's scale in all eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scale256(ref byte block) => Vector256.Create(Scale(ref block));

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
