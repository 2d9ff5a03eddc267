using System.Buffers.Binary;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// Random blocks of ggml's quantized types and a plain reference dequantizer for them, written for the tests from the
/// block structs of ggml-common.h and the loops of <c>dequantize_row_*</c> in ggml-quants.c (llama.cpp c392e5094),
/// whole super-block at a time in ggml's own order, independent of the runtime's group-at-a-time formats.
/// </summary>
/// <remarks>Random bytes are a valid block of every one of these types: every bit pattern of the quants and packed
/// scales means something. Only the half-precision scales are drawn separately, as finite halves.</remarks>
internal static class QuantizedBlocks
{
    /// <summary>The types under test, the K-quants of Q4_K_M/Q5_K_M/Q6_K files first.</summary>
    public static readonly GgmlType[] Types =
    [
        GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K,
    ];

    /// <summary>(weights, bytes) per block (ggml-common.h).</summary>
    public static (int Elements, int Bytes) Layout(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a type these tests encode."),
    };

    /// <summary>Byte offsets of the block's half-precision fields (ggml-common.h).</summary>
    public static int[] HalfOffsets(GgmlType type) => type switch
    {
        GgmlType.Q4_0 or GgmlType.Q5_0 => [0],
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        GgmlType.Q6_K => [208],
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a type these tests encode."),
    };

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="columns"/> weights: random bytes, with every half field a random
    /// finite half of magnitude 0.001 to 0.01 (every fifth row's 1e-6 to 1e-5: subnormal halves, below 6.1e-5).
    /// </summary>
    public static byte[] Random(GgmlType type, int rows, int columns, int seed)
    {
        (int elements, int bytes) = Layout(type);
        var random = new Random(seed);
        int blocksPerRow = columns / elements;
        var data = new byte[rows * blocksPerRow * bytes];
        random.NextBytes(data);
        for (int r = 0; r < rows; r++)
        {
            float rowScale = r % 5 == 4 ? 1e-3f : 1f;
            for (int b = 0; b < blocksPerRow; b++)
            {
                foreach (int offset in HalfOffsets(type))
                {
                    // Magnitudes 0.1 to 1 times the row's bound, either sign: never a scale that rounds to zero.
                    float magnitude = (0.1f + 0.9f * random.NextSingle()) * 0.01f * rowScale;
                    Half h = (Half)(random.Next(2) == 0 ? magnitude : -magnitude);
                    BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan((r * blocksPerRow + b) * bytes + offset), BitConverter.HalfToUInt16Bits(h));
                }
            }
        }
        return data;
    }

    /// <summary>Dequantizes one row of <paramref name="columns"/> weights as ggml does, in fp32.</summary>
    public static float[] Dequantize(GgmlType type, ReadOnlySpan<byte> row, int columns)
    {
        (int elements, int bytes) = Layout(type);
        var y = new float[columns];
        for (int b = 0; b < columns / elements; b++)
        {
            ReadOnlySpan<byte> x = row.Slice(b * bytes, bytes);
            Span<float> o = y.AsSpan(b * elements, elements);
            switch (type)
            {
                case GgmlType.Q4_0: Q4_0(x, o); break;
                case GgmlType.Q4_1: Q4_1(x, o); break;
                case GgmlType.Q5_0: Q5_0(x, o); break;
                case GgmlType.Q5_1: Q5_1(x, o); break;
                case GgmlType.Q2_K: Q2_K(x, o); break;
                case GgmlType.Q3_K: Q3_K(x, o); break;
                case GgmlType.Q4_K: Q4_K(x, o); break;
                case GgmlType.Q5_K: Q5_K(x, o); break;
                default: Q6_K(x, o); break;
            }
        }
        return y;
    }

    /// <summary>The encoded matrix and its exact values, as an <see cref="EncodedMatrix"/>-like reference.</summary>
    public static (byte[] Bytes, double[] Values) RandomMatrix(GgmlType type, int rows, int columns, int seed)
    {
        byte[] bytes = Random(type, rows, columns, seed);
        int rowBytes = bytes.Length / rows;
        var values = new double[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            float[] row = Dequantize(type, bytes.AsSpan(r * rowBytes, rowBytes), columns);
            for (int c = 0; c < columns; c++)
                values[r * columns + c] = row[c];
        }
        return (bytes, values);
    }

    /// <summary><c>ref[r] = Σ_c W[r, c] · x[c]</c> in double, and <c>Σ_c |W[r, c] · x[c]|</c>.</summary>
    public static MatVecReference Reference(double[] values, int rows, int columns, ReadOnlySpan<float> x)
    {
        var sums = new double[rows];
        var magnitudes = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double term = values[r * columns + c] * x[c];
                sums[r] += term;
                magnitudes[r] += Math.Abs(term);
            }
        }
        return new MatVecReference(sums, magnitudes);
    }

    private static float Half(ReadOnlySpan<byte> bytes, int offset) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]));

    private static void Q4_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0);
        for (int j = 0; j < 16; j++)
        {
            y[j] = ((x[2 + j] & 0x0F) - 8) * d;
            y[j + 16] = ((x[2 + j] >> 4) - 8) * d;
        }
    }

    private static void Q4_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0), m = Half(x, 2);
        for (int j = 0; j < 16; j++)
        {
            y[j] = (x[4 + j] & 0x0F) * d + m;
            y[j + 16] = (x[4 + j] >> 4) * d + m;
        }
    }

    private static void Q5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[2..]);
        for (int j = 0; j < 16; j++)
        {
            uint h0 = ((qh >> j) << 4) & 0x10;
            uint h1 = (qh >> (j + 12)) & 0x10;
            y[j] = ((int)((x[6 + j] & 0x0Fu) | h0) - 16) * d;
            y[j + 16] = ((int)((uint)(x[6 + j] >> 4) | h1) - 16) * d;
        }
    }

    private static void Q5_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0), m = Half(x, 2);
        uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[4..]);
        for (int j = 0; j < 16; j++)
        {
            uint h0 = ((qh >> j) << 4) & 0x10;
            uint h1 = (qh >> (j + 12)) & 0x10;
            y[j] = (int)((x[8 + j] & 0x0Fu) | h0) * d + m;
            y[j + 16] = (int)((uint)(x[8 + j] >> 4) | h1) * d + m;
        }
    }

    private static void Q2_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> scales = x[..16];
        float d = Half(x, 80), min = Half(x, 82);
        int q = 16, o = 0, s = 0;
        for (int n = 0; n < 256; n += 128)
        {
            int shift = 0;
            for (int j = 0; j < 4; j++)
            {
                byte sc = scales[s++];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; l++)
                    y[o++] = dl * ((x[q + l] >> shift) & 3) - ml;
                sc = scales[s++];
                dl = d * (sc & 0xF);
                ml = min * (sc >> 4);
                for (int l = 0; l < 16; l++)
                    y[o++] = dl * ((x[q + l + 16] >> shift) & 3) - ml;
                shift += 2;
            }
            q += 32;
        }
    }

    private static void Q3_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        const uint KMask1 = 0x03030303, KMask2 = 0x0f0f0f0f;
        float dAll = Half(x, 108);
        Span<uint> aux = stackalloc uint[4];
        aux[0] = BinaryPrimitives.ReadUInt32LittleEndian(x[96..]);
        aux[1] = BinaryPrimitives.ReadUInt32LittleEndian(x[100..]);
        aux[2] = BinaryPrimitives.ReadUInt32LittleEndian(x[104..]);
        uint tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & KMask2) | (((tmp >> 4) & KMask1) << 4);
        aux[3] = ((aux[1] >> 4) & KMask2) | (((tmp >> 6) & KMask1) << 4);
        aux[0] = (aux[0] & KMask2) | (((tmp >> 0) & KMask1) << 4);
        aux[1] = (aux[1] & KMask2) | (((tmp >> 2) & KMask1) << 4);
        var scales = new sbyte[16];
        for (int i = 0; i < 16; i++)
            scales[i] = (sbyte)(aux[i / 4] >> (8 * (i % 4)));

        int q = 32, o = 0, s = 0;
        byte m = 1;
        for (int n = 0; n < 256; n += 128)
        {
            int shift = 0;
            for (int j = 0; j < 4; j++)
            {
                float dl = dAll * (scales[s++] - 32);
                for (int l = 0; l < 16; l++)
                    y[o++] = dl * (((x[q + l] >> shift) & 3) - ((x[l] & m) != 0 ? 0 : 4));
                dl = dAll * (scales[s++] - 32);
                for (int l = 0; l < 16; l++)
                    y[o++] = dl * (((x[q + l + 16] >> shift) & 3) - ((x[l + 16] & m) != 0 ? 0 : 4));
                shift += 2;
                m <<= 1;
            }
            q += 32;
        }
    }

    private static (int Scale, int Min) ScaleMin(ReadOnlySpan<byte> q, int j)
        => j < 4
            ? (q[j] & 63, q[j + 4] & 63)
            : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static void Q4_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0), min = Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12);
        int q = 16, o = 0, s = 0;
        for (int j = 0; j < 256; j += 64)
        {
            (int sc1, int m1) = ScaleMin(scales, s);
            (int sc2, int m2) = ScaleMin(scales, s + 1);
            float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
            for (int l = 0; l < 32; l++)
                y[o++] = d1 * (x[q + l] & 0xF) - min1;
            for (int l = 0; l < 32; l++)
                y[o++] = d2 * (x[q + l] >> 4) - min2;
            q += 32;
            s += 2;
        }
    }

    private static void Q5_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 0), min = Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12);
        ReadOnlySpan<byte> qh = x.Slice(16, 32);
        int ql = 48, o = 0, s = 0;
        byte u1 = 1, u2 = 2;
        for (int j = 0; j < 256; j += 64)
        {
            (int sc1, int m1) = ScaleMin(scales, s);
            (int sc2, int m2) = ScaleMin(scales, s + 1);
            float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
            for (int l = 0; l < 32; l++)
                y[o++] = d1 * ((x[ql + l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - min1;
            for (int l = 0; l < 32; l++)
                y[o++] = d2 * ((x[ql + l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - min2;
            ql += 32;
            s += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    private static void Q6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Half(x, 208);
        int ql = 0, qh = 128, sc = 192, o = 0;
        for (int n = 0; n < 256; n += 128)
        {
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((x[ql + l] & 0xF) | (((x[qh + l] >> 0) & 3) << 4)) - 32;
                int q2 = ((x[ql + l + 32] & 0xF) | (((x[qh + l] >> 2) & 3) << 4)) - 32;
                int q3 = ((x[ql + l] >> 4) | (((x[qh + l] >> 4) & 3) << 4)) - 32;
                int q4 = ((x[ql + l + 32] >> 4) | (((x[qh + l] >> 6) & 3) << 4)) - 32;
                y[o + l] = d * (sbyte)x[sc + s] * q1;
                y[o + l + 32] = d * (sbyte)x[sc + s + 2] * q2;
                y[o + l + 64] = d * (sbyte)x[sc + s + 4] * q3;
                y[o + l + 96] = d * (sbyte)x[sc + s + 6] * q4;
            }
            o += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
