using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>Every public entry point of <see cref="WeightMatrix"/> checks its arguments and says what it expected.</summary>
public sealed class WeightMatrixValidationTests
{
    private static WeightMatrix Matrix(GgmlType type = GgmlType.F16, int rows = 6, int columns = 64)
        => WeightMatrix.FromArray("blk.1.attn_k.weight", type, rows, columns, EncodedMatrix.Random(type, rows, columns, 3).Bytes);

    [Fact]
    public void Vector_lengths_name_expected_and_actual()
    {
        WeightMatrix m = Matrix();
        var x = Assert.Throws<ArgumentException>(() => m.MultiplyVector(new float[63], new float[6]));
        Assert.Equal("x", x.ParamName);
        Assert.Contains("needs 64 elements in x", x.Message, StringComparison.Ordinal);
        Assert.Contains("got 63", x.Message, StringComparison.Ordinal);
        Assert.Contains("blk.1.attn_k.weight", x.Message, StringComparison.Ordinal);

        var y = Assert.Throws<ArgumentException>(() => m.MultiplyVector(new float[64], new float[7], 0, 6));
        Assert.Equal("y", y.ParamName);
        Assert.Contains("needs 6 elements in y", y.Message, StringComparison.Ordinal);
        Assert.Contains("got 7", y.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Row_ranges_must_lie_inside_the_matrix()
    {
        WeightMatrix m = Matrix();
        float[] x = new float[64], y = new float[6];
        Assert.Equal("firstRow", Assert.Throws<ArgumentOutOfRangeException>(() => m.MultiplyVector(x, y, -1, 1)).ParamName);
        Assert.Equal("firstRow", Assert.Throws<ArgumentOutOfRangeException>(() => m.MultiplyVector(x, y, 7, 0)).ParamName);
        var count = Assert.Throws<ArgumentOutOfRangeException>(() => m.MultiplyVector(x, y, 4, 3));
        Assert.Equal("rowCount", count.ParamName);
        Assert.Contains("0 to 2", count.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.MultiplyVector(x, y, 0, -1));
        m.MultiplyVector(x, y, 6, 0); // the empty range at the end is allowed
    }

    [Fact]
    public void Overlapping_input_and_output_are_refused()
    {
        WeightMatrix m = Matrix(rows: 64, columns: 64);
        var buffer = new float[100];
        var e = Assert.Throws<ArgumentException>(() => m.MultiplyVector(buffer.AsSpan(0, 64), buffer.AsSpan(30, 64)));
        Assert.Contains("overlaps", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => m.MultiplyMatrix(buffer.AsSpan(0, 64), 1, buffer.AsSpan(36, 64)));
    }

    [Fact]
    public void Batch_lengths_name_expected_and_actual()
    {
        WeightMatrix m = Matrix();
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => m.MultiplyMatrix(new float[64], -1, new float[6])).ParamName);
        var x = Assert.Throws<ArgumentException>(() => m.MultiplyMatrix(new float[64 * 3], 2, new float[12]));
        Assert.Contains("needs 128 elements in x (tokens × Columns = 2 × 64); got 192", x.Message, StringComparison.Ordinal);
        var y = Assert.Throws<ArgumentException>(() => m.MultiplyMatrix(new float[128], 2, new float[6]));
        Assert.Contains("needs 12 elements in y (tokens × Rows = 2 × 6); got 6", y.Message, StringComparison.Ordinal);
        m.MultiplyMatrix([], 0, []); // no tokens, nothing to do
    }

    [Fact]
    public void A_disposed_pool_is_refused_even_for_a_single_chunk()
    {
        WeightMatrix m = Matrix(rows: 3);
        foreach (int threads in new[] { 1, 2 })
        {
            var pool = new ComputePool(threads);
            pool.Dispose();
            Assert.Throws<ObjectDisposedException>(() => m.MultiplyVector(new float[64], new float[3], pool));
            Assert.Throws<ObjectDisposedException>(() => m.MultiplyMatrix(new float[64], 1, new float[3], pool));
        }
    }

    [Fact]
    public void DequantizeRow_checks_the_row_and_the_destination()
    {
        WeightMatrix m = Matrix();
        var row = Assert.Throws<ArgumentOutOfRangeException>(() => m.DequantizeRow(6, new float[64]));
        Assert.Contains("rows 0 to 5; got 6", row.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.DequantizeRow(-1, new float[64]));
        var destination = Assert.Throws<ArgumentException>(() => m.DequantizeRow(0, new float[65]));
        Assert.Contains("needs 64 elements in destination", destination.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromArray_checks_type_shape_and_size()
    {
        var type = Assert.Throws<NotSupportedException>(() => WeightMatrix.FromArray("q", GgmlType.IQ4_XS, 1, 256, new byte[136]));
        Assert.Contains("IQ4_XS", type.Message, StringComparison.Ordinal);
        Assert.Contains("F32, F16, BF16, Q8_0, Q4_0", type.Message, StringComparison.Ordinal);

        var blocks = Assert.Throws<ArgumentException>(() => WeightMatrix.FromArray("q", GgmlType.Q8_0, 1, 48, new byte[51]));
        Assert.Contains("multiple of 32; got 48", blocks.Message, StringComparison.Ordinal);

        var size = Assert.Throws<ArgumentException>(() => WeightMatrix.FromArray("q", GgmlType.Q8_0, 2, 64, new byte[135]));
        Assert.Contains("needs 136 bytes (2 rows of 68); the array has 135", size.Message, StringComparison.Ordinal);

        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => WeightMatrix.FromArray("q", GgmlType.F32, 0, 4, [])).ParamName);
        Assert.Equal("columns", Assert.Throws<ArgumentOutOfRangeException>(() => WeightMatrix.FromArray("q", GgmlType.F32, 1, 0, [])).ParamName);
        Assert.Throws<ArgumentNullException>(() => WeightMatrix.FromArray("q", GgmlType.F32, 1, 1, null!));
    }

    [Fact]
    public void Sizes_and_supported_types_are_reported()
    {
        Assert.Equal(
            [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
             GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K],
            WeightMatrix.SupportedTypes);
        Assert.False(WeightMatrix.IsSupported(GgmlType.Q8_K));
        Assert.Equal(4 * 2048, WeightMatrix.RowByteSize(GgmlType.F32, 2048));
        Assert.Equal(2 * 2048, WeightMatrix.RowByteSize(GgmlType.F16, 2048));
        Assert.Equal(2 * 2048, WeightMatrix.RowByteSize(GgmlType.BF16, 2048));
        Assert.Equal(2048 / 32 * 34, WeightMatrix.RowByteSize(GgmlType.Q8_0, 2048));
        WeightMatrix m = Matrix(GgmlType.Q8_0, 3, 64);
        Assert.Equal(3 * 68, m.ByteSize);
        Assert.Equal("blk.1.attn_k.weight: Q8_0 [3 × 64] (204 bytes)", m.ToString());
    }
}
