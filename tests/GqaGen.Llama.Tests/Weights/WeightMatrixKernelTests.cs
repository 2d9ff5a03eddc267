using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Tests.Support;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// <see cref="WeightMatrix"/>'s kernels against a double-precision loop over the test's own dequantization, for every
/// storage type, every instruction-set path (called directly, so a path the hardware lacks runs in software) and shapes
/// around the row tile (4) and the block (32 columns).
/// </summary>
[Trait("Category", "Kernel")]
public sealed class WeightMatrixKernelTests
{
    private static readonly GgmlType[] Types = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0];
    private static readonly int[] BlockColumns = [32, 64, 96, 160, 2048 + 32];
    private static readonly int[] RowCounts = [1, 3, 4, 5, 17, 64];
    private static readonly GqaKernelPath[] Paths = [GqaKernelPath.Avx512, GqaKernelPath.Avx2, GqaKernelPath.Scalar];

    /// <summary>Element-wise types also take rows that end in a partial block.</summary>
    private static readonly int[] PartialBlockColumns = [1, 7, 16, 31, 33, 47, 100];

    public static TheoryData<GgmlType, int, int, GqaKernelPath> Shapes()
    {
        var data = new TheoryData<GgmlType, int, int, GqaKernelPath>();
        foreach (GgmlType type in Types)
        {
            foreach (GqaKernelPath path in Paths)
            {
                foreach (int columns in BlockColumns)
                {
                    foreach (int rows in RowCounts)
                        data.Add(type, rows, columns, path);
                }
                if (type != GgmlType.Q8_0)
                {
                    foreach (int columns in PartialBlockColumns)
                        data.Add(type, 5, columns, path);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyVector_matches_the_double_loop_and_writes_exactly_its_rows(GgmlType type, int rows, int columns, GqaKernelPath path)
    {
        EncodedMatrix encoded = EncodedMatrix.Random(type, rows, columns, Seed(type, rows, columns));
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, encoded.Bytes);
        float[] x = EncodedMatrix.RandomVector(columns, Seed(type, rows, columns) + 1);
        MatVecReference expected = encoded.Reference(x);
        string context = $"{type} {rows}×{columns} on {path}";

        var y = new GuardedBuffer(rows);
        matrix.MultiplyVector(x, y.Inner, 0, rows, path);
        MatVecAssert.Close(expected, y.Inner, context);
        y.AssertMarginsUntouched(context);
        float[] whole = y.Inner.ToArray();

        // Slices starting on and off the row tile: only the slice is written, all of it, with the same bits.
        foreach ((int first, int count) in new[] { (0, 0), (1, rows - 1), (rows / 2, rows - rows / 2), (rows - 1, 1), (rows / 3, Math.Min(5, rows - rows / 3)) })
        {
            var slice = new GuardedBuffer(rows);
            matrix.MultiplyVector(x, slice.Inner, first, count, path);
            for (int r = 0; r < rows; r++)
            {
                bool inside = r >= first && r < first + count;
                float value = slice.Inner[r];
                if (inside)
                    Assert.True(BitConverter.SingleToInt32Bits(value) == BitConverter.SingleToInt32Bits(whole[r]), $"{context}, rows [{first}, {first + count}): row {r} is {value:R}, not the {whole[r]:R} of the whole multiply.");
                else
                    Assert.True(BitConverter.SingleToInt32Bits(value) == BitConverter.SingleToInt32Bits(GuardedBuffer.Poison), $"{context}, rows [{first}, {first + count}): row {r}, outside the slice, was written ({value}).");
            }
            slice.AssertMarginsUntouched($"{context}, rows [{first}, {first + count})");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MultiplyMatrix_matches_the_double_loop_and_on_the_scalar_path_each_token_equals_MultiplyVector(GgmlType type, int rows, int columns, GqaKernelPath path)
    {
        EncodedMatrix encoded = EncodedMatrix.Random(type, rows, columns, Seed(type, rows, columns));
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, encoded.Bytes);
        // 9 tokens: two whole 4-token tiles and a leftover one.
        const int Tokens = 9;
        float[] x = EncodedMatrix.RandomVector(Tokens * columns, Seed(type, rows, columns) + 2);
        var y = new GuardedBuffer(Tokens * rows);

        matrix.MultiplyMatrix(x, Tokens, y.Inner, null, path);

        y.AssertMarginsUntouched($"{type} {rows}×{columns} on {path}, {Tokens} tokens");
        var single = new float[rows];
        for (int t = 0; t < Tokens; t++)
        {
            string context = $"{type} {rows}×{columns} on {path}, token {t} of {Tokens}";
            ReadOnlySpan<float> xt = x.AsSpan(t * columns, columns);
            ReadOnlySpan<float> yt = y.Inner.Slice(t * rows, rows);
            MatVecAssert.Close(encoded.Reference(xt), yt, context);
            if (path == GqaKernelPath.Scalar)
            {
                // The scalar path batches through the matrix-vector kernel; the vector paths sum in another order.
                matrix.MultiplyVector(xt, single, 0, rows, path);
                MatVecAssert.Identical(single, yt, context);
            }
        }
    }

    /// <summary>More tokens than one token block of either kernel holds (the batched kernel's 64, the matrix-vector
    /// kernels' 63 tokens of 2080 columns): every token within the bound; the scalar path, which batches through the
    /// matrix-vector kernels, also bit for bit its matrix-vector product.</summary>
    [Theory]
    [InlineData(GgmlType.F16, GqaKernelPath.Avx512)]
    [InlineData(GgmlType.Q8_0, GqaKernelPath.Avx2)]
    [InlineData(GgmlType.BF16, GqaKernelPath.Scalar)]
    public void MultiplyMatrix_spans_several_token_blocks(GgmlType type, GqaKernelPath path)
    {
        const int Rows = 7, Columns = 2048 + 32, Tokens = 131;
        EncodedMatrix encoded = EncodedMatrix.Random(type, Rows, Columns, 77);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, Columns, encoded.Bytes);
        float[] x = EncodedMatrix.RandomVector(Tokens * Columns, 78);
        var y = new float[Tokens * Rows];
        y.AsSpan().Fill(float.NaN);

        matrix.MultiplyMatrix(x, Tokens, y, null, path);

        var single = new float[Rows];
        for (int t = 0; t < Tokens; t++)
        {
            string context = $"{type} on {path}, token {t} of {Tokens}";
            ReadOnlySpan<float> xt = x.AsSpan(t * Columns, Columns);
            MatVecAssert.Close(encoded.Reference(xt), y.AsSpan(t * Rows, Rows), context);
            if (path == GqaKernelPath.Scalar)
            {
                matrix.MultiplyVector(xt, single, 0, Rows, path);
                MatVecAssert.Identical(single, y.AsSpan(t * Rows, Rows), context);
            }
        }
    }

    /// <summary>The shapes of <see cref="Shapes"/> without the path: DequantizeRow runs the best path only.</summary>
    public static TheoryData<GgmlType, int, int> DequantizeShapes()
    {
        var data = new TheoryData<GgmlType, int, int>();
        foreach (GgmlType type in Types)
        {
            foreach (int columns in type == GgmlType.Q8_0 ? BlockColumns : [.. BlockColumns, .. PartialBlockColumns])
                data.Add(type, 5, columns);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DequantizeShapes))]
    public void DequantizeRow_is_exact(GgmlType type, int rows, int columns)
    {
        EncodedMatrix encoded = EncodedMatrix.Random(type, rows, columns, Seed(type, rows, columns));
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, encoded.Bytes);
        var row = new GuardedBuffer(columns);
        for (int r = 0; r < rows; r++)
        {
            matrix.DequantizeRow(r, row.Inner);
            for (int c = 0; c < columns; c++)
            {
                double expected = encoded.Values[r * columns + c];
                Assert.True(row.Inner[c] == expected && double.IsNegative(row.Inner[c]) == double.IsNegative(expected),
                    $"{type} {rows}×{columns}: W[{r}, {c}] dequantized to {row.Inner[c]:R}, expected exactly {expected:R}.");
            }
            row.AssertMarginsUntouched($"{type} {rows}×{columns}, row {r}");
        }
    }

    /// <summary>The process picks the widest path the runtime accelerates, like TensorPrimitives.</summary>
    [Fact]
    public void The_best_path_follows_the_instruction_set_switches()
    {
        GqaKernelPath expected = IsaEnvironment.ExpectVector512 ? GqaKernelPath.Avx512
            : IsaEnvironment.ExpectVector256 ? GqaKernelPath.Avx2
            : GqaKernelPath.Scalar;
        Assert.True(expected == MatVecKernel.BestPath, $"Expected {expected} under {IsaEnvironment.Describe()}; the kernels chose {MatVecKernel.BestPath}.");
    }

    /// <summary>The public overloads run the best path: same bits as asking for it by name.</summary>
    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    public void Public_overloads_run_the_best_path(GgmlType type)
    {
        const int Rows = 17, Columns = 160;
        EncodedMatrix encoded = EncodedMatrix.Random(type, Rows, Columns, 5);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, Columns, encoded.Bytes);
        float[] x = EncodedMatrix.RandomVector(Columns, 6);
        var expected = new float[Rows];
        matrix.MultiplyVector(x, expected, 0, Rows, MatVecKernel.BestPath);

        var viaRange = new float[Rows];
        matrix.MultiplyVector(x, viaRange, 0, Rows);
        var viaPool = new float[Rows];
        matrix.MultiplyVector(x, viaPool);
        var viaMatrix = new float[Rows];
        matrix.MultiplyMatrix(x, 1, viaMatrix);

        MatVecAssert.Identical(expected, viaRange, $"{type}: MultiplyVector(x, y, first, count)");
        MatVecAssert.Identical(expected, viaPool, $"{type}: MultiplyVector(x, y)");
        // MultiplyMatrix runs the batched kernel of the best path (the matrix-vector one on the scalar path).
        var expectedBatch = new float[Rows];
        matrix.MultiplyMatrix(x, 1, expectedBatch, null, MatVecKernel.BestPath);
        MatVecAssert.Identical(expectedBatch, viaMatrix, $"{type}: MultiplyMatrix(x, 1, y)");
    }

    /// <summary>A fixed seed per case (<see cref="HashCode"/> is randomized per process, so not that).</summary>
    private static int Seed(GgmlType type, int rows, int columns) => (int)type * 1_000_003 + rows * 10_007 + columns;
}
