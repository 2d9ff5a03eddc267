using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Weights;

/// <summary><see cref="WeightMatrix.FromGguf"/> over in-memory and memory-mapped files: the bytes are used in place,
/// the shape comes from GGUF's [columns, rows], bad tensors are refused by name, and disposal is noticed.</summary>
public sealed class WeightMatrixGgufTests
{
    private const int Rows = 5, Columns = 96;

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    public void A_GGUF_tensor_multiplies_like_the_same_bytes_from_an_array(GgmlType type)
    {
        EncodedMatrix encoded = EncodedMatrix.Random(type, Rows, Columns, 21);
        byte[] file = TinyGguf.Build(("pad", GgmlType.F32, [3], new byte[12]), ("blk.0.ffn_up.weight", type, [Columns, Rows], encoded.Bytes));
        float[] x = EncodedMatrix.RandomVector(Columns, 22);
        var expected = new float[Rows];
        WeightMatrix.FromArray("w", type, Rows, Columns, encoded.Bytes).MultiplyVector(x, expected);

        using (GgufFile gguf = GgufFile.Parse(file))
            AssertMatrix(gguf, type, x, expected);

        string path = Path.Combine(Path.GetTempPath(), $"gqagen-weights-{Guid.NewGuid():N}.gguf");
        try
        {
            File.WriteAllBytes(path, file);
            using GgufFile mapped = GgufFile.Open(path);
            Assert.True(mapped.IsMemoryMapped);
            AssertMatrix(mapped, type, x, expected);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertMatrix(GgufFile gguf, GgmlType type, float[] x, float[] expected)
    {
        WeightMatrix matrix = WeightMatrix.FromGguf(gguf, gguf.GetTensor("blk.0.ffn_up.weight"));
        Assert.Equal("blk.0.ffn_up.weight", matrix.Name);
        Assert.Equal(type, matrix.Type);
        Assert.Equal(Rows, matrix.Rows);
        Assert.Equal(Columns, matrix.Columns);
        Assert.Equal(gguf.GetTensor("blk.0.ffn_up.weight").ByteSize, matrix.ByteSize);
        var y = new float[Rows];
        // Allocate and collect in between: in-memory data must stay pinned.
        GC.Collect();
        matrix.MultiplyVector(x, y);
        MatVecAssert.Identical(expected, y, $"{type} from GGUF ({(gguf.IsMemoryMapped ? "mapped" : "in memory")})");
    }

    [Fact]
    public void An_unsupported_type_is_refused_naming_the_tensor_the_type_and_the_supported_ones()
    {
        byte[] file = TinyGguf.Build(("blk.3.attn_q.weight", GgmlType.Q8_K, [256, 2], new byte[2 * 292]));
        using GgufFile gguf = GgufFile.Parse(file);
        var e = Assert.Throws<NotSupportedException>(() => WeightMatrix.FromGguf(gguf, gguf.Tensors[0]));
        Assert.Contains("blk.3.attn_q.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("Q8_K", e.Message, StringComparison.Ordinal);
        Assert.Contains("F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tensor_that_is_not_2_D_is_refused()
    {
        byte[] file = TinyGguf.Build(("output_norm.weight", GgmlType.F32, [8], new byte[32]), ("cube", GgmlType.F32, [2, 2, 2], new byte[32]));
        using GgufFile gguf = GgufFile.Parse(file);
        var vector = Assert.Throws<ArgumentException>(() => WeightMatrix.FromGguf(gguf, gguf.Tensors[0]));
        Assert.Contains("'output_norm.weight' has 1 dimension(s) [8]", vector.Message, StringComparison.Ordinal);
        Assert.Contains("exactly 2", vector.Message, StringComparison.Ordinal);
        var cube = Assert.Throws<ArgumentException>(() => WeightMatrix.FromGguf(gguf, gguf.Tensors[1]));
        Assert.Contains("3 dimension(s) [2, 2, 2]", cube.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tensor_of_another_file_is_refused()
    {
        byte[] bytes = TinyGguf.Build(("w", GgmlType.F32, [4, 2], new byte[32]));
        using GgufFile one = GgufFile.Parse(bytes), other = GgufFile.Parse(bytes);
        Assert.Throws<ArgumentException>(() => WeightMatrix.FromGguf(one, other.Tensors[0]));
    }

    [Fact]
    public void A_disposed_file_is_noticed_before_and_after_the_matrix_is_made()
    {
        byte[] bytes = TinyGguf.Build(("w", GgmlType.F32, [4, 2], new byte[32]));
        GgufFile early = GgufFile.Parse(bytes);
        early.Dispose();
        Assert.Throws<ObjectDisposedException>(() => WeightMatrix.FromGguf(early, early.Tensors[0]));

        GgufFile late = GgufFile.Parse(bytes);
        WeightMatrix matrix = WeightMatrix.FromGguf(late, late.Tensors[0]);
        late.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => matrix.MultiplyVector(new float[4], new float[2]));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => matrix.MultiplyMatrix(new float[4], 1, new float[2]));
        Assert.Throws<ObjectDisposedException>(() => matrix.DequantizeRow(0, new float[4]));
    }
}
