using System.ComponentModel;
using System.Runtime.Intrinsics;

namespace GqaGen.Kernels;

/// <summary>
/// How one K or V row of a <see cref="KvCache"/> is stored, as static members a kernel generic over the format calls:
/// the JIT compiles one copy of the kernel per format struct and inlines these loads into it, so a single decode
/// driver (generated or generic) serves every storage type and each copy reads its own format in registers.
/// </summary>
/// <remarks>
/// <para>Public because generated code in user assemblies names the formats; not meant to be called directly.</para>
/// <para>A load of <c>n</c> lanes at <c>element</c> reads only bytes of elements <c>[element, element + n)</c>' row
/// (for <see cref="Q8_0Rows"/>, of the blocks holding them): callers keep <c>element + n ≤ headDim</c>, so no load reads
/// outside the row's <see cref="RowBytes"/>. Element offsets are usually constants in generated code, where the JIT
/// folds the address arithmetic (and Q8_0's block split) away.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IKvRowFormat
{
    /// <summary>The storage type this format reads and writes.</summary>
    static abstract KvElementType ElementType { get; }

    /// <summary>
    /// Whether a vector load converts the stored elements to singles in registers (fp16, bf16, q8_0) rather than loading
    /// them as they are (fp32). A JIT-time constant that selects the kernels' loop shapes: a widening load is worth
    /// sharing among more heads, and it takes several JIT locals, so fewer of them fit in one method before the JIT stops
    /// inlining.
    /// </summary>
    static abstract bool WidensInRegisters { get; }

    /// <summary>Bytes one row of <paramref name="headDim"/> elements occupies.</summary>
    static abstract int RowBytes(int headDim);

    /// <summary>Elements <c>[element, element + 16)</c> of the row at <paramref name="row"/>, as singles.</summary>
    static abstract Vector512<float> Load512(ref byte row, int element);

    /// <summary>Elements <c>[element, element + 8)</c> of the row at <paramref name="row"/>, as singles.</summary>
    static abstract Vector256<float> Load256(ref byte row, int element);

    /// <summary>Element <paramref name="element"/> of the row at <paramref name="row"/>, as a single.</summary>
    static abstract float Load(ref byte row, int element);

    /// <summary>Stores <paramref name="source"/> (one row of <c>headDim</c> floats) into <paramref name="row"/> (<see cref="RowBytes"/> bytes).</summary>
    static abstract void Encode(ReadOnlySpan<float> source, Span<byte> row);
}
