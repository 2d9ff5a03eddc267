using System.Globalization;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Synthetic;

namespace GqaGen.Bench;

/// <summary>What the weight-product benchmarks (<see cref="MatVecBenchmarks"/>, <see cref="Int8MatVecBenchmarks"/>,
/// <see cref="MatMulBenchmarks"/>) share: their shape parameter, their random weights and the copies they cycle through.</summary>
internal static class BenchMatrices
{
    /// <summary>Rows and columns of a <c>"ROWSxCOLUMNS"</c> shape parameter.</summary>
    public static (int Rows, int Columns) ParseShape(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Weights like a trained model's (uniform in ±0.05), encoded in <paramref name="type"/> by the synthetic
    /// models' encoders (ggml's reference quantizers for the quantized types), row by row.</summary>
    public static byte[] RandomWeights(Random random, GgmlType type, int rows, int columns)
    {
        long rowBytes = WeightMatrix.RowByteSize(type, columns);
        var bytes = new byte[rowBytes * rows];
        var row = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                row[c] = (random.NextSingle() * 2 - 1) * 0.05f;
            WeightEncoder.Encode(type, row, bytes.AsSpan((int)(r * rowBytes), (int)rowBytes));
        }
        return bytes;
    }

    /// <summary>
    /// Enough copies of one random matrix to fill <paramref name="cycledBytes"/>, so that a benchmark using the next copy
    /// on every call streams its weights from DRAM, as a decoder does, instead of from the L3.
    /// </summary>
    public static (WeightMatrix[] Matrices, byte[][] Bytes) CycledCopies(Random random, GgmlType type, string shape, long cycledBytes)
    {
        (int rows, int columns) = ParseShape(shape);
        byte[] original = RandomWeights(random, type, rows, columns);
        int copies = (int)Math.Max(1, (cycledBytes + original.LongLength - 1) / original.LongLength);
        var bytes = new byte[copies][];
        var matrices = new WeightMatrix[copies];
        for (int i = 0; i < copies; i++)
        {
            bytes[i] = i == 0 ? original : (byte[])original.Clone();
            matrices[i] = WeightMatrix.FromArray($"copy {i}", type, rows, columns, bytes[i]);
        }
        return (matrices, bytes);
    }
}
