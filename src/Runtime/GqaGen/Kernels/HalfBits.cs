using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GqaGen.Kernels;

/// <summary>
/// Exact IEEE half → single conversion with integer operations and one multiply, for scalars and vectors, and a table
/// of every half's single for the kernels that convert one block scale at a time (<see cref="FromTable"/>).
/// </summary>
/// <remarks>
/// .NET 10 exposes no F16C intrinsic (<c>vcvtph2ps</c>), and <see cref="Half"/>'s conversion is a software routine,
/// so the kernels use this instead. With the half's bits sign-extended to 32 bits (<c>vpmovsxwd</c>), shifting left
/// by 13 puts the half's exponent and mantissa at the bottom of a single's exponent and mantissa (bits 27..13) and
/// copies of the sign in bits 31..28; clearing bits 30..28 leaves a single whose value is the half's times 2^-112
/// (the exponent biases are 127 and 15). Multiplying by 2^112 rescales it exactly, subnormal halves included (they
/// become single subnormals, which the multiply normalizes). Zeros keep their sign.
/// Infinities and NaNs are not preserved: exponent 31 becomes the finite 2^16·(1 + m/1024), so ±∞ reads as ±65536.
/// GGUF weights are finite, so no kernel pays for a check. The table keeps them (it is built with the BCL's conversion).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HalfBits
{
    /// <summary>2^112, exactly representable: 0x77800000.</summary>
    public const float TwoPow112 = 5.192296858534828e33f;

    /// <summary>Keeps the sign (bit 31) and the shifted exponent and mantissa (bits 27..0), drops the sign copies in bits 30..28.</summary>
    private const int SignExponentMantissaMask = unchecked((int)0x8FFF_FFFF);

    /// <summary>
    /// Effectively <c>(float)BitConverter.UInt16BitsToHalf(bits)</c> for finite halves, with no arithmetic on a
    /// subnormal single: a normal half is rebiased with one integer add; a subnormal half (exponent 0) becomes the
    /// normal single <c>2^-14 · (1 + m/1024)</c>, from which subtracting <c>2^-14</c> leaves <c>m · 2^-24</c> exactly.
    /// </summary>
    /// <remarks>
    /// Why not the multiply by 2^112 of the vector forms: a subnormal half becomes a subnormal single there, and on the
    /// development machine (AMD Zen 5) a multiply with a subnormal input costs a microcode assist. K-quant super-blocks
    /// keep their scale <c>d</c> as a half that is often subnormal (Q6_K: <c>d = max scale / 127</c>, about 1e-5 for
    /// typical weights), so a kernel converting one per block ran up to 2× slower on a llama-quantize'd file than on the
    /// same shapes with larger weights (measured 2026-12-04: the Q6_K output head with int8 activations, 7.4 GB/s
    /// before, 15.8 after). Those block scales now come from <see cref="FromTable"/>, which avoids it too.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits)
    {
        int magnitude = (bits & 0x7FFF) << 13; // exponent and mantissa at the single's positions, exponent bias 15
        float value = (bits & 0x7C00) != 0
            ? BitConverter.Int32BitsToSingle(magnitude + (112 << 23))
            : BitConverter.Int32BitsToSingle(magnitude + (113 << 23)) - SubnormalBase;
        return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) | ((bits & 0x8000) << 16));
    }

    /// <summary>
    /// The half with bits <paramref name="bits"/> as a single, exactly (NaN, infinities and subnormals included): its
    /// entry in a table of every half's value, one load and no arithmetic.
    /// </summary>
    /// <remarks>
    /// For the kernels bound by their instruction count that convert one half per block: the q8_0 KV cache's block scales
    /// and the quantized weight formats' block scales. A conversion in vector registers costs about eight vector
    /// instructions, <see cref="ToSingle(ushort)"/> about nine scalar and vector ones; measured with generated q8_0 decode
    /// kernels (1 thread, ns per Llama-3-8B K+V row in L2: table 18.6–19.3, scalar 21.5–21.9, vector 25.2–25.7) and the
    /// Q2_K and Q6_K integer products from L3 (12 % and 8 % more weights per second than the scalar conversion; Zen 5 VM,
    /// 2026-12-05). The table is 256 KiB of native memory kept for the process's life; a kernel touches only the lines its
    /// scales fall in. Call <see cref="InitializeTable"/> before the first call of a kernel that reads it.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float FromTable(ushort bits) => SingleTable.Entries[bits];

    /// <summary>Runs the table's initializer (once per process), so that a kernel compiled afterwards reads the table's
    /// address as a constant: compiled before, it keeps a class-initialization check, whose call in an inlined load makes
    /// the JIT spill every vector register around it (measured: q8_0 decode 3× slower).</summary>
    public static void InitializeTable() => RuntimeHelpers.RunClassConstructor(typeof(SingleTable).TypeHandle);

    /// <summary>Every half's value as a single, indexed by the half's bits. A pointer, not an array: the JIT reads a
    /// static readonly pointer of an initialized class as a constant, where each load from an array kept a null check.</summary>
    private static unsafe class SingleTable
    {
        public static readonly float* Entries = Build();

        private static float* Build()
        {
            float* table = (float*)NativeMemory.AlignedAlloc((nuint)(sizeof(float) << 16), 64);
            for (int bits = 0; bits < 1 << 16; bits++)
                table[bits] = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            return table;
        }
    }

    /// <summary>2^-14, the smallest normal half: the offset <see cref="ToSingle(ushort)"/> removes from a subnormal.</summary>
    private const float SubnormalBase = 6.103515625e-05f;

    /// <summary>Converts sixteen halves whose bits have been sign-extended to 32 bits.</summary>
    /// <remarks>A subnormal half becomes a subnormal single here, whose multiply costs a microcode assist on AMD Zen 5:
    /// an F16 matrix whose weights are uniform in ±0.002 (a sixth of them subnormal halves) streamed 14.6 GB/s against
    /// 26.7 for ±1 (2026-12-04, 8192 × 4096, 1 thread). A form that avoids it (rebias with an integer add, fix the
    /// subnormal lanes with a select) cost 25 % on the TinyLlama-shaped F16 file (90 against 72 ms per pass of all
    /// matrices), whose weights are rarely subnormal, so the kernels keep this one; the block scales converted one at a
    /// time avoid it (<see cref="FromTable"/>, <see cref="ToSingle(ushort)"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<int> signExtendedBits)
        => ((signExtendedBits << 13) & Vector512.Create(SignExponentMantissaMask)).AsSingle() * Vector512.Create(TwoPow112);

    /// <summary>Converts eight halves whose bits have been sign-extended to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<int> signExtendedBits)
        => ((signExtendedBits << 13) & Vector256.Create(SignExponentMantissaMask)).AsSingle() * Vector256.Create(TwoPow112);

    /// <summary>Loads sixteen halves from <paramref name="source"/> and converts them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load16(short* source) => ToSingle(Widen.Int16ToInt32x16(source));

    /// <summary>Loads eight halves from <paramref name="source"/> and converts them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load8(short* source) => ToSingle(Widen.Int16ToInt32x8(source));

    /// <summary>Largest finite half, 65,504.</summary>
    public const float MaxHalf = 65504f;

    /// <summary>
    /// The half nearest to <paramref name="value"/> (ties to even, as IEEE conversion and F16C do), with magnitudes
    /// beyond <see cref="MaxHalf"/>, infinities included, saturated to ±65,504: a half cache never holds an infinity,
    /// which <see cref="ToSingle(ushort)"/> could not read back. NaN stays NaN (and reads back as a large finite value).
    /// </summary>
    public static ushort FromSingleSaturated(float value)
        => BitConverter.HalfToUInt16Bits((Half)Math.Clamp(value, -MaxHalf, MaxHalf));
}
