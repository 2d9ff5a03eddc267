using System.Buffers.Binary;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// <see cref="WeightMatrix"/> on the quantized types Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants Q2_K to Q6_K: random
/// blocks, every instruction-set path (called directly, so a path the hardware lacks runs in software), against
/// <see cref="QuantizedBlocks"/>' reference dequantizer and a double-precision dot product.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class QuantizedWeightMatrixTests
{
    private static readonly GqaKernelPath[] Paths = [GqaKernelPath.Avx512, GqaKernelPath.Avx2, GqaKernelPath.Scalar];
    private static readonly int[] RowCounts = [1, 3, 4, 5, 17];

    public static TheoryData<GgmlType, int, int, GqaKernelPath> Shapes()
    {
        var data = new TheoryData<GgmlType, int, int, GqaKernelPath>();
        foreach (GgmlType type in QuantizedBlocks.Types)
        {
            int block = QuantizedBlocks.Layout(type).Elements;
            // One block, a few, and a long row: every length crosses the 32-weight groups and (for the K-quants) the
            // super-blocks at different phases of the 4-row tiles.
            int[] columns = block == 32 ? [32, 64, 96, 160, 2080] : [256, 512, 768, 2304];
            foreach (GqaKernelPath path in Paths)
            {
                foreach (int c in columns)
                {
                    foreach (int rows in RowCounts)
                        data.Add(type, rows, c, path);
                }
            }
        }
        return data;
    }

    public static TheoryData<GgmlType> AllTypes()
    {
        var data = new TheoryData<GgmlType>();
        foreach (GgmlType type in QuantizedBlocks.Types)
            data.Add(type);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Products_match_the_double_loop_and_every_row_is_the_same_bits_whatever_computes_it(GgmlType type, int rows, int columns, GqaKernelPath path)
    {
        int seed = HashCode.Combine(type, rows, columns);
        (byte[] bytes, double[] values) = QuantizedBlocks.RandomMatrix(type, rows, columns, seed);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, bytes);
        const int Tokens = 6;
        float[] x = EncodedMatrix.RandomVector(Tokens * columns, seed + 1);
        string context = $"{type} {rows}×{columns} on {path}";

        // Matrix-vector, the whole output.
        var y = new float[rows];
        y.AsSpan().Fill(float.NaN);
        matrix.MultiplyVector(x.AsSpan(0, columns), y, 0, rows, path);
        MatVecAssert.Close(QuantizedBlocks.Reference(values, rows, columns, x.AsSpan(0, columns)), y, context);

        // Row by row and from an odd first row: the same bits as the 4-row tiles.
        for (int r = 0; r < rows; r++)
        {
            var one = new float[rows];
            matrix.MultiplyVector(x.AsSpan(0, columns), one, r, 1, path);
            Assert.True(BitConverter.SingleToInt32Bits(one[r]) == BitConverter.SingleToInt32Bits(y[r]), $"{context}: row {r} alone is {one[r]:R}, the whole multiply gave {y[r]:R}.");
        }
        if (rows > 1)
        {
            var tail = new float[rows];
            matrix.MultiplyVector(x.AsSpan(0, columns), tail, 1, rows - 1, path);
            MatVecAssert.Identical(y.AsSpan(1), tail.AsSpan(1), $"{context}, rows [1, {rows})");
        }

        // Batched, for 1 to 6 tokens: each token's row of Y is within the bound and the same bits whatever the batch
        // size; on the scalar path also its matrix-vector product, bit for bit (the vector paths sum in another order).
        var all = new float[Tokens * rows];
        matrix.MultiplyMatrix(x, Tokens, all, null, path);
        for (int tokens = 1; tokens <= Tokens; tokens++)
        {
            var ys = new float[tokens * rows];
            ys.AsSpan().Fill(float.NaN);
            matrix.MultiplyMatrix(x.AsSpan(0, tokens * columns), tokens, ys, null, path);
            MatVecAssert.Identical(all.AsSpan(0, tokens * rows), ys, $"{context}, {tokens} tokens against the first {tokens} of {Tokens}");
            for (int t = 0; t < tokens; t++)
            {
                if (path == GqaKernelPath.Scalar)
                {
                    var yt = new float[rows];
                    matrix.MultiplyVector(x.AsSpan(t * columns, columns), yt, 0, rows, path);
                    MatVecAssert.Identical(yt, ys.AsSpan(t * rows, rows), $"{context}, token {t} of {tokens}");
                }
                if (tokens == Tokens)
                    MatVecAssert.Close(QuantizedBlocks.Reference(values, rows, columns, x.AsSpan(t * columns, columns)), ys.AsSpan(t * rows, rows), $"{context}, batched token {t}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void DequantizeRow_gives_the_reference_dequantizer_bits(GgmlType type)
    {
        int block = QuantizedBlocks.Layout(type).Elements;
        foreach (int columns in new[] { block, 3 * block, 2304 })
        {
            const int Rows = 7;
            byte[] bytes = QuantizedBlocks.Random(type, Rows, columns, HashCode.Combine(type, columns, 5));
            WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, columns, bytes);
            int rowBytes = bytes.Length / Rows;
            for (int r = 0; r < Rows; r++)
            {
                float[] expected = QuantizedBlocks.Dequantize(type, bytes.AsSpan(r * rowBytes, rowBytes), columns);
                Assert.Contains(expected, v => v != 0);
                var actual = new float[columns];
                matrix.DequantizeRow(r, actual);
                MatVecAssert.Identical(expected, actual, $"{type} {columns} columns, row {r}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Multiplying_over_1_2_or_3_threads_gives_the_same_bits(GgmlType type)
    {
        int columns = 2 * QuantizedBlocks.Layout(type).Elements;
        const int Rows = 67, Tokens = 5;
        (byte[] bytes, double[] values) = QuantizedBlocks.RandomMatrix(type, Rows, columns, HashCode.Combine(type, 9));
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, columns, bytes);
        float[] x = EncodedMatrix.RandomVector(Tokens * columns, 10);
        var expectedVector = new float[Rows];
        matrix.MultiplyVector(x.AsSpan(0, columns), expectedVector);
        MatVecAssert.Close(QuantizedBlocks.Reference(values, Rows, columns, x.AsSpan(0, columns)), expectedVector, $"{type}, inline");
        var expectedMatrix = new float[Tokens * Rows];
        matrix.MultiplyMatrix(x, Tokens, expectedMatrix);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var y = new float[Rows];
            matrix.MultiplyVector(x.AsSpan(0, columns), y, pool);
            MatVecAssert.Identical(expectedVector, y, $"{type}, MultiplyVector on {threads} threads");
            var ys = new float[Tokens * Rows];
            matrix.MultiplyMatrix(x, Tokens, ys, pool);
            MatVecAssert.Identical(expectedMatrix, ys, $"{type}, MultiplyMatrix on {threads} threads");
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Shapes_and_sizes_are_checked_naming_expected_and_actual(GgmlType type)
    {
        (int block, int blockBytes) = QuantizedBlocks.Layout(type);
        Assert.True(WeightMatrix.IsSupported(type));
        Assert.Equal(4L * blockBytes, WeightMatrix.RowByteSize(type, 4 * block));

        var notMultiple = Assert.Throws<ArgumentException>(() => WeightMatrix.FromArray("w", type, 1, block + 16, new byte[2 * blockBytes]));
        Assert.Contains($"multiple of {block}; got {block + 16}", notMultiple.Message, StringComparison.Ordinal);

        var truncated = Assert.Throws<ArgumentException>(() => WeightMatrix.FromArray("w", type, 2, block, new byte[2 * blockBytes - 1]));
        Assert.Contains($"needs {2 * blockBytes} bytes (2 rows of {blockBytes}); the array has {2 * blockBytes - 1}", truncated.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void A_truncated_tensor_in_a_GGUF_file_is_refused(GgmlType type)
    {
        (int block, int blockBytes) = QuantizedBlocks.Layout(type);
        byte[] whole = TinyGguf.Build(("blk.0.ffn_down.weight", type, [block, 3], QuantizedBlocks.Random(type, 3, block, 1)));
        using (GgufFile gguf = GgufFile.Parse(whole))
            Assert.Equal(3, WeightMatrix.FromGguf(gguf, gguf.Tensors[0]).Rows);

        // The file cut inside the last row: the reader refuses it before any matrix can read past the end.
        int dataEnd = whole.Length - ((3 * blockBytes + 31) / 32 * 32 - 3 * blockBytes);
        byte[] cut = whole.AsSpan(0, dataEnd - 1).ToArray();
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Parse(cut));
        Assert.Contains("blk.0.ffn_down.weight", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Infinite_NaN_or_huge_scales_give_huge_or_non_finite_products_not_exceptions(GgmlType type)
    {
        (int block, int blockBytes) = QuantizedBlocks.Layout(type);
        const int Rows = 8;
        int columns = 2 * block;
        float[] x = EncodedMatrix.RandomVector(columns, 3);
        foreach (ushort bad in new ushort[] { 0x7C00, 0xFC00, 0x7E00, 0x7BFF })
        {
            byte[] bytes = QuantizedBlocks.Random(type, Rows, columns, bad);
            // Every block's first half field (its main scale) is the bad value.
            int first = QuantizedBlocks.HalfOffsets(type)[0];
            for (int b = 0; b < bytes.Length / blockBytes; b++)
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(b * blockBytes + first), bad);
            WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, columns, bytes);
            foreach (GqaKernelPath path in Paths)
            {
                var y = new float[Rows];
                matrix.MultiplyVector(x, y, 0, Rows, path);
                var ys = new float[2 * Rows];
                matrix.MultiplyMatrix([.. x, .. x], 2, ys, null, path);
                foreach (float v in y.Concat(ys))
                    Assert.True(!float.IsFinite(v) || Math.Abs(v) > 1, $"{type} with scale bits 0x{bad:X4} on {path}: {v} is neither huge nor non-finite.");
            }
            var row = new float[columns];
            matrix.DequantizeRow(0, row);
        }
    }
}
