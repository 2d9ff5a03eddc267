using System.Buffers.Binary;

namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// ggml's 32-element block types Q4_0, Q4_1, Q5_0 and Q5_1: float blocks to bytes as ggml's
/// <c>quantize_row_q4_0_ref</c>, <c>…q4_1_ref</c>, <c>…q5_0_ref</c> and <c>…q5_1_ref</c> do (llama.cpp c392e5094), and
/// back as its <c>dequantize_row_*</c> do.
/// </summary>
/// <remarks>
/// Layouts (ggml-common.h): Q4_0 = { half d; u8 qs[16] } (18 bytes), Q4_1 = { half d; half m; u8 qs[16] } (20),
/// Q5_0 = { half d; u32 qh; u8 qs[16] } (22), Q5_1 = { half d; half m; u32 qh; u8 qs[16] } (24). Element j sits in the
/// low nibble of qs[j] and element j + 16 in its high nibble; the fifth bit of element j is bit j of qh.
/// </remarks>
internal static class LegacyQuantizers
{
    public const int BlockElements = 32;

    private const int Half = BlockElements / 2;

    /// <summary>Q4_0: symmetric, d = the signed value of largest magnitude / −8, quants q = trunc(x/d + 8.5) capped at
    /// 15, value = (q − 8)·d.</summary>
    public static void QuantizeQ4_0(ReadOnlySpan<float> x, Span<byte> y) => QuantizeSymmetric(x, y, levels: 16, qsOffset: 2, hasHighBits: false);

    /// <summary>Q5_0: as Q4_0 with 32 levels (d = signed max / −16).</summary>
    public static void QuantizeQ5_0(ReadOnlySpan<float> x, Span<byte> y) => QuantizeSymmetric(x, y, levels: 32, qsOffset: 6, hasHighBits: true);

    /// <summary>Q4_1: d = (max − min)/15, m = min, q = trunc((x − min)/d + 0.5) capped at 15, value = q·d + m.</summary>
    public static void QuantizeQ4_1(ReadOnlySpan<float> x, Span<byte> y) => QuantizeAffine(x, y, levels: 16, qsOffset: 4, hasHighBits: false);

    /// <summary>Q5_1: as Q4_1 with 32 levels (d = (max − min)/31), and no cap (ggml has none for this type).</summary>
    public static void QuantizeQ5_1(ReadOnlySpan<float> x, Span<byte> y) => QuantizeAffine(x, y, levels: 32, qsOffset: 8, hasHighBits: true);

    private static void QuantizeSymmetric(ReadOnlySpan<float> x, Span<byte> y, int levels, int qsOffset, bool hasHighBits)
    {
        // The signed value of largest magnitude (the first one on ties), so that it maps exactly to quant 0.
        float amax = 0, max = 0;
        for (int j = 0; j < BlockElements; j++)
        {
            if (amax < MathF.Abs(x[j]))
            {
                amax = MathF.Abs(x[j]);
                max = x[j];
            }
        }
        float d = max / -(levels / 2);
        float id = d != 0 ? 1f / d : 0f;
        QuantMath.WriteHalf(y, d);
        float bias = levels / 2 + 0.5f;
        uint qh = 0;
        for (int j = 0; j < Half; j++)
        {
            // C converts the float to int8_t by truncation toward zero; the sum is in [0, levels + 0.5].
            int q0 = Math.Min(levels - 1, (int)(sbyte)(int)(x[j] * id + bias));
            int q1 = Math.Min(levels - 1, (int)(sbyte)(int)(x[j + Half] * id + bias));
            y[qsOffset + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint)((q0 >> 4) & 1) << j;
            qh |= (uint)((q1 >> 4) & 1) << (j + Half);
        }
        if (hasHighBits)
            BinaryPrimitives.WriteUInt32LittleEndian(y[2..], qh);
    }

    private static void QuantizeAffine(ReadOnlySpan<float> x, Span<byte> y, int levels, int qsOffset, bool hasHighBits)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        for (int j = 0; j < BlockElements; j++)
        {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        float d = (max - min) / (levels - 1);
        float id = d != 0 ? 1f / d : 0f;
        QuantMath.WriteHalf(y, d);
        QuantMath.WriteHalf(y[2..], min);
        uint qh = 0;
        for (int j = 0; j < Half; j++)
        {
            // Q4_1 converts through int8_t and caps at 15; Q5_1 converts through uint8_t with no cap (ggml's code).
            int q0, q1;
            if (hasHighBits)
            {
                q0 = (byte)(int)((x[j] - min) * id + 0.5f);
                q1 = (byte)(int)((x[j + Half] - min) * id + 0.5f);
            }
            else
            {
                q0 = Math.Min(levels - 1, (int)(sbyte)(int)((x[j] - min) * id + 0.5f));
                q1 = Math.Min(levels - 1, (int)(sbyte)(int)((x[j + Half] - min) * id + 0.5f));
            }
            y[qsOffset + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint)((q0 >> 4) & 1) << j;
            qh |= (uint)((q1 >> 4) & 1) << (j + Half);
        }
        if (hasHighBits)
            BinaryPrimitives.WriteUInt32LittleEndian(y[4..], qh);
    }

    /// <summary>Q4_0 block to floats: (q − 8)·d.</summary>
    public static void DequantizeQ4_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x);
        for (int j = 0; j < Half; j++)
        {
            y[j] = ((x[2 + j] & 0x0F) - 8) * d;
            y[j + Half] = ((x[2 + j] >> 4) - 8) * d;
        }
    }

    /// <summary>Q4_1 block to floats: q·d + m.</summary>
    public static void DequantizeQ4_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x), m = QuantMath.ReadHalf(x[2..]);
        for (int j = 0; j < Half; j++)
        {
            y[j] = (x[4 + j] & 0x0F) * d + m;
            y[j + Half] = (x[4 + j] >> 4) * d + m;
        }
    }

    /// <summary>Q5_0 block to floats: (q − 16)·d, q's fifth bit from qh.</summary>
    public static void DequantizeQ5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[2..]);
        for (int j = 0; j < Half; j++)
        {
            int q0 = (x[6 + j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
            int q1 = (x[6 + j] >> 4) | (int)(((qh >> (j + Half)) & 1) << 4);
            y[j] = (q0 - 16) * d;
            y[j + Half] = (q1 - 16) * d;
        }
    }

    /// <summary>Q5_1 block to floats: q·d + m, q's fifth bit from qh.</summary>
    public static void DequantizeQ5_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x), m = QuantMath.ReadHalf(x[2..]);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[4..]);
        for (int j = 0; j < Half; j++)
        {
            int q0 = (x[8 + j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
            int q1 = (x[8 + j] >> 4) | (int)(((qh >> (j + Half)) & 1) << 4);
            y[j] = q0 * d + m;
            y[j + Half] = q1 * d + m;
        }
    }
}
