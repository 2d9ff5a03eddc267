using GqaGen.Gguf;

namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// Reference quantizers and dequantizers for ggml's block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K
/// and Q6_K, bit for bit as ggml's <c>quantize_row_*_ref</c> and <c>dequantize_row_*</c> (ggml-quants.c at llama.cpp
/// c392e5094), which are also what <c>llama-quantize</c> runs when it is given no importance matrix. Plain scalar code:
/// meant for writing test models and for test oracles, not for speed.
/// </summary>
/// <remarks>Checked against vectors made by llama.cpp's own <c>llama-quantize</c> and gguf-py
/// (tests/GqaGen.Synthetic.Tests/Data/quant-vectors).</remarks>
public static class GgmlQuantization
{
    /// <summary>Whether <paramref name="type"/> is one of the block types this class converts.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0
        or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Elements per block of <paramref name="type"/>: 32 for Q4_0…Q8_0, 256 for the k-quants.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported.</exception>
    public static int BlockElements(GgmlType type) => type switch
    {
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 => 32,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => QuantMath.SuperBlock,
        _ => throw Unsupported(type),
    };

    /// <summary>Bytes per block of <paramref name="type"/> (ggml-common.h's block sizes).</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported.</exception>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => 18,
        GgmlType.Q4_1 => 20,
        GgmlType.Q5_0 => 22,
        GgmlType.Q5_1 => 24,
        GgmlType.Q8_0 => WeightEncoder.Q8_0BlockBytes,
        GgmlType.Q2_K => Q2KQuantizer.BlockBytes,
        GgmlType.Q3_K => Q3KQuantizer.BlockBytes,
        GgmlType.Q4_K => Q4KQ5KQuantizer.Q4BlockBytes,
        GgmlType.Q5_K => Q4KQ5KQuantizer.Q5BlockBytes,
        GgmlType.Q6_K => Q6KQuantizer.BlockBytes,
        _ => throw Unsupported(type),
    };

    /// <summary>
    /// Quantizes <paramref name="source"/> (a whole number of blocks) into <paramref name="destination"/> (exactly
    /// the blocks' bytes), block by block as ggml's reference quantizer for <paramref name="type"/> does.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported; a length does not fit; or an
    /// element is NaN or infinite (refused, as llama-quantize refuses such a tensor; ggml's reference quantizers have
    /// no defined result for it). (<see cref="WeightEncoder"/>'s own Q8_0 path keeps its earlier, unchecked
    /// behaviour.)</exception>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        int blocks = CheckLengths(type, source.Length, destination.Length, nameof(source), nameof(destination));
        QuantMath.RequireFinite(source, nameof(source));
        int n = BlockElements(type), bytes = BlockBytes(type);
        for (int b = 0; b < blocks; b++)
        {
            var x = source.Slice(b * n, n);
            var y = destination.Slice(b * bytes, bytes);
            switch (type)
            {
                case GgmlType.Q4_0: LegacyQuantizers.QuantizeQ4_0(x, y); break;
                case GgmlType.Q4_1: LegacyQuantizers.QuantizeQ4_1(x, y); break;
                case GgmlType.Q5_0: LegacyQuantizers.QuantizeQ5_0(x, y); break;
                case GgmlType.Q5_1: LegacyQuantizers.QuantizeQ5_1(x, y); break;
                case GgmlType.Q8_0: WeightEncoder.EncodeQ8_0Block(x, y); break;
                case GgmlType.Q2_K: Q2KQuantizer.Quantize(x, y); break;
                case GgmlType.Q3_K: Q3KQuantizer.Quantize(x, y); break;
                case GgmlType.Q4_K: Q4KQ5KQuantizer.QuantizeQ4K(x, y); break;
                case GgmlType.Q5_K: Q4KQ5KQuantizer.QuantizeQ5K(x, y); break;
                default: Q6KQuantizer.Quantize(x, y); break;
            }
        }
    }

    /// <summary>
    /// Dequantizes <paramref name="source"/> (whole blocks of <paramref name="type"/>) into
    /// <paramref name="destination"/> (their elements), with ggml's <c>dequantize_row_*</c> arithmetic in single
    /// precision, so the floats are the ones ggml's CPU reference computes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not supported, or a length does not fit.</exception>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int blocks = CheckLengths(type, destination.Length, source.Length, nameof(destination), nameof(source));
        int n = BlockElements(type), bytes = BlockBytes(type);
        for (int b = 0; b < blocks; b++)
        {
            var x = source.Slice(b * bytes, bytes);
            var y = destination.Slice(b * n, n);
            switch (type)
            {
                case GgmlType.Q4_0: LegacyQuantizers.DequantizeQ4_0(x, y); break;
                case GgmlType.Q4_1: LegacyQuantizers.DequantizeQ4_1(x, y); break;
                case GgmlType.Q5_0: LegacyQuantizers.DequantizeQ5_0(x, y); break;
                case GgmlType.Q5_1: LegacyQuantizers.DequantizeQ5_1(x, y); break;
                case GgmlType.Q8_0: DequantizeQ8_0(x, y); break;
                case GgmlType.Q2_K: Q2KQuantizer.Dequantize(x, y); break;
                case GgmlType.Q3_K: Q3KQuantizer.Dequantize(x, y); break;
                case GgmlType.Q4_K: Q4KQ5KQuantizer.DequantizeQ4K(x, y); break;
                case GgmlType.Q5_K: Q4KQ5KQuantizer.DequantizeQ5K(x, y); break;
                default: Q6KQuantizer.Dequantize(x, y); break;
            }
        }
    }

    private static void DequantizeQ8_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x);
        for (int j = 0; j < 32; j++)
            y[j] = (sbyte)x[2 + j] * d;
    }

    /// <summary>The number of blocks, after checking that <paramref name="elements"/> is whole blocks and
    /// <paramref name="bytes"/> is exactly their size.</summary>
    private static int CheckLengths(GgmlType type, int elements, int bytes, string elementsName, string bytesName)
    {
        int n = BlockElements(type), size = BlockBytes(type);
        if (elements % n != 0)
            throw new ArgumentException(
                $"{type} stores blocks of {n} values; {elements} is not a multiple of {n}. Pad or split the data into whole blocks.", elementsName);
        int blocks = elements / n;
        if (bytes != (long)blocks * size)
            throw new ArgumentException(
                $"{elements} values as {type} take {(long)blocks * size} bytes ({blocks} blocks of {size}); the buffer has {bytes}.", bytesName);
        return blocks;
    }

    private static ArgumentException Unsupported(GgmlType type) => new(
        $"{type} is not a block type GgmlQuantization converts; supported are Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.", nameof(type));
}
