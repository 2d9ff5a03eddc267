using System.Buffers.Binary;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// A random weight matrix encoded by the test itself in one storage type, together with the exact values the
/// encoding represents (decoded with the BCL's own <see cref="Half"/> conversion, not the runtime's), so the kernels
/// are checked against an independent reading of the format.
/// </summary>
internal sealed class EncodedMatrix
{
    private EncodedMatrix(GgmlType type, int rows, int columns, byte[] bytes, double[] values)
    {
        Type = type;
        Rows = rows;
        Columns = columns;
        Bytes = bytes;
        Values = values;
    }

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>The encoded rows, back to back, as GGUF stores them.</summary>
    public byte[] Bytes { get; }

    /// <summary>The dequantized weights, row-major (rows, columns).</summary>
    public double[] Values { get; }

    /// <summary>
    /// Encodes weights drawn uniformly from [-1, 1) with <paramref name="seed"/>; every fifth row is scaled by 1e-5
    /// (so F16 and Q8_0 scales include subnormal halves) and a few weights are exact zeros and negative zeros.
    /// </summary>
    public static EncodedMatrix Random(GgmlType type, int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var source = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            float rowScale = r % 5 == 4 ? 1e-5f : 1f;
            for (int c = 0; c < columns; c++)
                source[r * columns + c] = (random.NextSingle() * 2 - 1) * rowScale;
        }
        if (source.Length > 2)
        {
            source[1] = 0f;
            source[^2] = -0f;
        }
        return Encode(type, rows, columns, source);
    }

    /// <summary>Encodes <paramref name="source"/> (row-major) in <paramref name="type"/>.</summary>
    public static EncodedMatrix Encode(GgmlType type, int rows, int columns, float[] source)
    {
        var values = new double[rows * columns];
        byte[] bytes;
        switch (type)
        {
            case GgmlType.F32:
                bytes = new byte[source.Length * 4];
                for (int i = 0; i < source.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), source[i]);
                    values[i] = source[i];
                }
                break;
            case GgmlType.F16:
                bytes = new byte[source.Length * 2];
                for (int i = 0; i < source.Length; i++)
                {
                    Half h = (Half)source[i];
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), BitConverter.HalfToUInt16Bits(h));
                    values[i] = (double)h;
                }
                break;
            case GgmlType.BF16:
                bytes = new byte[source.Length * 2];
                for (int i = 0; i < source.Length; i++)
                {
                    ushort b = ToBFloat16RoundToNearestEven(source[i]);
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), b);
                    values[i] = BitConverter.Int32BitsToSingle(b << 16);
                }
                break;
            case GgmlType.Q8_0:
                bytes = EncodeQ8_0(rows, columns, source, values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "The tests encode F32, F16, BF16 and Q8_0.");
        }
        return new EncodedMatrix(type, rows, columns, bytes, values);
    }

    /// <summary>Round to nearest, ties to even, on the 16 bits dropped (ggml's <c>ggml_compute_fp32_to_bf16</c> for finite values).</summary>
    public static ushort ToBFloat16RoundToNearestEven(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>ggml's <c>quantize_row_q8_0_ref</c>: per 32-weight block, d = max|v| / 127 stored as a half, q = round(v / d).</summary>
    private static byte[] EncodeQ8_0(int rows, int columns, float[] source, double[] values)
    {
        if (columns % 32 != 0)
            throw new ArgumentException($"Q8_0 needs columns divisible by 32; got {columns}.", nameof(columns));
        int blocksPerRow = columns / 32;
        var bytes = new byte[rows * blocksPerRow * 34];
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < blocksPerRow; b++)
            {
                int first = r * columns + b * 32;
                float amax = 0;
                for (int i = 0; i < 32; i++)
                    amax = MathF.Max(amax, MathF.Abs(source[first + i]));
                float d = amax / 127;
                float inverse = d != 0 ? 1 / d : 0;
                Half dHalf = (Half)d;
                int offset = (r * blocksPerRow + b) * 34;
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), BitConverter.HalfToUInt16Bits(dHalf));
                for (int i = 0; i < 32; i++)
                {
                    sbyte q = (sbyte)Math.Clamp(MathF.Round(source[first + i] * inverse, MidpointRounding.AwayFromZero), -127, 127);
                    bytes[offset + 2 + i] = (byte)q;
                    values[first + i] = (double)dHalf * q;
                }
            }
        }
        return bytes;
    }

    /// <summary>The plain double-precision loop: <c>ref[r] = Σ_c W[r, c] · x[c]</c>, and the size of the terms each
    /// output sums, <c>Σ_c |W[r, c] · x[c]|</c> (what fp32 rounding is proportional to).</summary>
    public MatVecReference Reference(ReadOnlySpan<float> x)
    {
        var values = new double[Rows];
        var magnitudes = new double[Rows];
        for (int r = 0; r < Rows; r++)
        {
            double sum = 0, magnitude = 0;
            for (int c = 0; c < Columns; c++)
            {
                double term = Values[r * Columns + c] * x[c];
                sum += term;
                magnitude += Math.Abs(term);
            }
            values[r] = sum;
            magnitudes[r] = magnitude;
        }
        return new MatVecReference(values, magnitudes);
    }

    /// <summary>Uniform values in [-1, 1).</summary>
    public static float[] RandomVector(int length, int seed)
    {
        var random = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
            v[i] = random.NextSingle() * 2 - 1;
        return v;
    }
}

/// <summary>A double-precision matrix-vector product and, per output, the sum of the magnitudes of its terms.</summary>
internal sealed record MatVecReference(double[] Values, double[] TermMagnitudes);
