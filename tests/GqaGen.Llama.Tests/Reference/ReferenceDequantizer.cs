using GqaGen.Gguf;
using GqaGen.Kernels;
using GqaGen.Synthetic.Quantizers;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>
/// Test-side decoding of GGUF tensors to doubles, written from the format descriptions alone (ggml's
/// <c>ggml-common.h</c> block layouts), with no code shared with the runtime: the oracle must not inherit a
/// runtime bug. One element at a time, nothing clever.
/// </summary>
public static class ReferenceDequantizer
{
    /// <summary>All elements of <paramref name="tensor"/> in storage order (the first GGUF dimension fastest).</summary>
    /// <exception cref="NotSupportedException">The tensor's type is none of F32, F16, BF16, Q8_0 and the quantized types of <see cref="GgmlQuantization"/>.</exception>
    public static double[] Dequantize(GgufFile file, GgufTensorInfo tensor)
    {
        ReadOnlySpan<byte> data = file.TensorData(tensor);
        var values = new double[tensor.ElementCount];
        switch (tensor.Type)
        {
            case GgmlType.F32:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.ToSingle(data.Slice(4 * i, 4));
                break;
            case GgmlType.F16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = HalfBitsToDouble(ReadUInt16(data, 2 * i));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.UInt32BitsToSingle((uint)ReadUInt16(data, 2 * i) << 16);
                break;
            case GgmlType.Q8_0:
                // block_q8_0: { ggml_half d; int8_t qs[32]; }, value = d * qs[i].
                for (int block = 0; block < values.Length / 32; block++)
                {
                    int at = block * 34;
                    double scale = HalfBitsToDouble(ReadUInt16(data, at));
                    for (int i = 0; i < 32; i++)
                        values[block * 32 + i] = scale * (sbyte)data[at + 2 + i];
                }
                break;
            case var quantized when GgmlQuantization.IsSupported(quantized):
                // The legacy and K-quant blocks: the synthetic models' reference dequantizer (test support, written
                // from ggml's block layouts, checked bit for bit against vectors llama.cpp made; no runtime code).
                var floats = new float[values.Length];
                GgmlQuantization.Dequantize(quantized, data, floats);
                for (int i = 0; i < values.Length; i++)
                    values[i] = floats[i];
                break;
            default:
                throw new NotSupportedException($"The reference dequantizer does not read {tensor.Type} (tensor '{tensor.Name}').");
        }
        return values;
    }

    /// <summary>The matrix <paramref name="name"/> as rows: GGUF dimensions [columns, rows], so row r is the r-th run of
    /// <c>columns</c> stored elements.</summary>
    public static double[][] Matrix(GgufFile file, string name, int rows, int columns)
    {
        var tensor = file.GetTensor(name);
        if (tensor.Dimensions.Length != 2 || tensor.Dimensions[0] != columns || tensor.Dimensions[1] != rows)
            throw new InvalidOperationException(
                $"Tensor '{name}' has dimensions [{string.Join(", ", tensor.Dimensions)}]; the reference expects [{columns}, {rows}].");
        double[] flat = Dequantize(file, tensor);
        var matrix = new double[rows][];
        for (int r = 0; r < rows; r++)
            matrix[r] = flat.AsSpan(r * columns, columns).ToArray();
        return matrix;
    }

    /// <summary>The vector <paramref name="name"/> of <paramref name="length"/> elements.</summary>
    public static double[] Vector(GgufFile file, string name, int length)
    {
        var tensor = file.GetTensor(name);
        if (tensor.Dimensions.Length != 1 || tensor.Dimensions[0] != length)
            throw new InvalidOperationException(
                $"Tensor '{name}' has dimensions [{string.Join(", ", tensor.Dimensions)}]; the reference expects [{length}].");
        return Dequantize(file, tensor);
    }

    /// <summary>An IEEE 754 binary16 value: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.</summary>
    public static double HalfBitsToDouble(ushort bits)
    {
        int sign = (bits >> 15) != 0 ? -1 : 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0)
            return sign * mantissa * Math.Pow(2, -24); // zero or subnormal
        if (exponent == 31)
            return mantissa == 0 ? sign * double.PositiveInfinity : double.NaN;
        return sign * (1 + mantissa / 1024.0) * Math.Pow(2, exponent - 15);
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, int at) => (ushort)(data[at] | (data[at + 1] << 8));
}
