using System.Buffers.Binary;
using GqaGen.Gguf;
using GqaGen.Synthetic.Quantizers;

namespace GqaGen.Synthetic;

#pragma warning disable CA1707 // Q8_0 follows ggml's own spelling of the type.

/// <summary>
/// Encodes float weights into the ggml element types the decoder reads: <see cref="GgmlType.F32"/>,
/// <see cref="GgmlType.F16"/>, <see cref="GgmlType.BF16"/>, <see cref="GgmlType.Q8_0"/>, and the block types of
/// <see cref="GgmlQuantization"/> (Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), bit for bit as llama.cpp's
/// reference conversions do (so a file written here decodes as one converted by llama.cpp would).
/// </summary>
public static class WeightEncoder
{
    /// <summary>Elements in one <see cref="GgmlType.Q8_0"/> block (ggml's <c>QK8_0</c>).</summary>
    public const int Q8_0BlockElements = 32;

    /// <summary>Bytes in one <see cref="GgmlType.Q8_0"/> block: a 2-byte half scale and 32 signed bytes.</summary>
    public const int Q8_0BlockBytes = 34;

    /// <summary>Whether <paramref name="type"/> is one this class encodes.</summary>
    public static bool IsSupported(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 || GgmlQuantization.IsSupported(type);

    /// <summary>The bytes that <paramref name="elements"/> values take as <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported, or <paramref name="elements"/>
    /// is not a whole number of its blocks.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="elements"/> is negative.</exception>
    public static long ByteCount(GgmlType type, long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        return type switch
        {
            GgmlType.F32 => checked(elements * 4),
            GgmlType.F16 or GgmlType.BF16 => checked(elements * 2),
            GgmlType.Q8_0 when elements % Q8_0BlockElements == 0 => elements / Q8_0BlockElements * Q8_0BlockBytes,
            GgmlType.Q8_0 => throw new ArgumentException(
                $"Q8_0 stores blocks of {Q8_0BlockElements} values; {elements} is not a multiple of {Q8_0BlockElements}.", nameof(elements)),
            _ when GgmlQuantization.IsSupported(type) => BlockTypeByteCount(type, elements),
            _ => throw Unsupported(type),
        };
    }

    /// <summary>Encodes <paramref name="source"/> as <paramref name="type"/> into <paramref name="destination"/>,
    /// which must be exactly <see cref="ByteCount"/> bytes long.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported, a length does not fit, or a value
    /// to quantize to a type other than Q8_0 is NaN or infinite.</exception>
    public static void Encode(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        long expected = ByteCount(type, source.Length);
        if (destination.Length != expected)
            throw new ArgumentException($"{source.Length} values as {type} take {expected} bytes; the destination has {destination.Length}.", nameof(destination));
        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], source[i]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToF16Bits(source[i]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToBF16Bits(source[i]));
                break;
            case GgmlType.Q8_0:
                for (int block = 0; block < source.Length / Q8_0BlockElements; block++)
                    EncodeQ8_0Block(source.Slice(block * Q8_0BlockElements, Q8_0BlockElements),
                        destination.Slice(block * Q8_0BlockBytes, Q8_0BlockBytes));
                break;
            default:
                // The other block types; NaN and infinities are refused there, as ggml has no defined result for them.
                GgmlQuantization.Quantize(type, source, destination);
                break;
        }
    }

    private static long BlockTypeByteCount(GgmlType type, long elements)
    {
        int n = GgmlQuantization.BlockElements(type);
        if (elements % n != 0)
            throw new ArgumentException(
                $"{type} stores blocks of {n} values; {elements} is not a multiple of {n}.", nameof(elements));
        return checked(elements / n * GgmlQuantization.BlockBytes(type));
    }

    /// <summary>The IEEE half-precision bits of <paramref name="value"/>, rounded to nearest even; values beyond the
    /// half range become infinities, as in ggml's <c>GGML_FP32_TO_FP16</c>.</summary>
    public static ushort ToF16Bits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>The bfloat16 bits of <paramref name="value"/>: the top 16 bits of the float rounded to nearest even,
    /// NaN kept NaN (quiet), as ggml's <c>ggml_compute_fp32_to_bf16</c> does.</summary>
    public static ushort ToBF16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        // Rounding could carry a NaN's mantissa into the exponent and make it infinite; ggml sets the quiet bit instead.
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u)
            return (ushort)((bits >> 16) | 0x40);
        // Adding 0x7FFF plus the lowest kept bit rounds ties to the even neighbour.
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>Encodes one block of 32 values as ggml's <c>quantize_row_q8_0_ref</c> does: scale
    /// <c>d = max|x| / 127</c> stored as a half, then each value as <c>round(x / d)</c> (ties away from zero, C's
    /// <c>roundf</c>), computed with the float scale before it is rounded to half.</summary>
    /// <exception cref="ArgumentException">The lengths are not 32 and 34.</exception>
    public static void EncodeQ8_0Block(ReadOnlySpan<float> block, Span<byte> destination)
    {
        if (block.Length != Q8_0BlockElements)
            throw new ArgumentException($"A Q8_0 block holds {Q8_0BlockElements} values; got {block.Length}.", nameof(block));
        if (destination.Length != Q8_0BlockBytes)
            throw new ArgumentException($"A Q8_0 block takes {Q8_0BlockBytes} bytes; the destination has {destination.Length}.", nameof(destination));
        float maxAbs = 0;
        foreach (float x in block)
            maxAbs = MathF.Max(maxAbs, MathF.Abs(x));
        float scale = maxAbs / 127f;
        float inverse = scale != 0 ? 1f / scale : 0f;
        BinaryPrimitives.WriteUInt16LittleEndian(destination, ToF16Bits(scale));
        for (int i = 0; i < Q8_0BlockElements; i++)
        {
            // |x| * inverse is at most 127 up to one rounding step; the clamp keeps that step from wrapping the byte.
            float q = MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero);
            destination[2 + i] = (byte)(sbyte)Math.Clamp(q, -127f, 127f);
        }
    }

    private static ArgumentException Unsupported(GgmlType type) => new(
        $"Weight type {type} cannot be encoded; supported are F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.", nameof(type));
}
