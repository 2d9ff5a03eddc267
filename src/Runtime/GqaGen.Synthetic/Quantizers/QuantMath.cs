using System.Buffers.Binary;

namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// The scalar helpers ggml's reference quantizers share (ggml-quants.c at llama.cpp c392e5094): its rounding trick,
/// half-precision scales, and the input check. Every operation is single-precision and in ggml's order, because the
/// quantizers must reproduce ggml's bytes exactly.
/// </summary>
internal static class QuantMath
{
    /// <summary>ggml's <c>GROUP_MAX_EPS</c>: a group whose largest magnitude is below this is treated as all zero.</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>Elements in a k-quant super-block (ggml's <c>QK_K</c>).</summary>
    public const int SuperBlock = 256;

    /// <summary>
    /// ggml's <c>nearest_int</c>: adds 1.5·2^23 so the float's rounding (to nearest, ties to even) leaves the integer
    /// in the low mantissa bits, then reads them back. Exact for |x| ≤ 4194303; beyond that ggml gets a wrapped value
    /// (its assert is compiled out), and so does this, so that out-of-range intermediate values clamp identically.
    /// </summary>
    public static int NearestInt(float value)
    {
        float shifted = value + 12582912f;
        int bits = BitConverter.SingleToInt32Bits(shifted);
        return (bits & 0x007FFFFF) - 0x00400000;
    }

    /// <summary>The half-precision bits of <paramref name="value"/>, rounded to nearest even (ggml's
    /// <c>GGML_FP32_TO_FP16</c>).</summary>
    public static ushort HalfBits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>The float value of half-precision <paramref name="bits"/> (exact; ggml's <c>GGML_FP16_TO_FP32</c>).</summary>
    public static float HalfToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Writes <paramref name="value"/> rounded to half precision at <paramref name="destination"/>[0..2].</summary>
    public static void WriteHalf(Span<byte> destination, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(destination, HalfBits(value));

    /// <summary>Reads the half-precision value at <paramref name="source"/>[0..2] as a float.</summary>
    public static float ReadHalf(ReadOnlySpan<byte> source) =>
        HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source));

    /// <summary>Writes the half-precision rounding of <paramref name="value"/> and returns it as a float: what ggml's
    /// quantizers do when they store a scale and then reuse the stored value.</summary>
    public static float StoreHalf(Span<byte> destination, float value)
    {
        ushort bits = HalfBits(value);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, bits);
        return HalfToSingle(bits);
    }

    /// <summary>
    /// Refuses NaN and infinities, as llama.cpp does: <c>llama-quantize</c> checks each tensor it reads with
    /// <c>ggml_validate_row_data</c> and stops with "tensor '…' has invalid data" (seen at c392e5094 for Q4_0, Q4_K_M
    /// and Q6_K). ggml's <c>quantize_row_*_ref</c> functions themselves have no defined result for such input: their
    /// float-to-integer conversions of NaN or infinite quotients are undefined in C.
    /// </summary>
    /// <exception cref="ArgumentException">An element is NaN or infinite.</exception>
    public static void RequireFinite(ReadOnlySpan<float> values, string parameterName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException(
                    $"Element {i} is {values[i]}; ggml's quantizers need finite values (llama-quantize refuses such a tensor as invalid data, and the reference quantizers have no defined result for it). Replace or clip non-finite weights before quantizing.",
                    parameterName);
        }
    }
}
