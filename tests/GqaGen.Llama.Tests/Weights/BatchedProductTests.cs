using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Tests.Support;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// <see cref="WeightMatrix.MultiplyMatrix(ReadOnlySpan{float}, int, Span{float}, ComputePool?)"/>, the batched
/// products of <see cref="MatMulKernel"/>: every storage type × instruction-set path (called directly, so a path the
/// hardware lacks runs in software) × token counts crossing the kernels' blocking (the 16- and 32-token tiles, the
/// switch between them at <see cref="MatMulKernel.SmallBatch"/>, and the 64-token block) × row counts crossing
/// the row tiles (6 and 12) and the 96-row panel, each against a double-precision product of the test's own
/// dequantization of the weights, outputs poisoned first.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class BatchedProductTests
{
    private static readonly GqaKernelPath[] Paths = [GqaKernelPath.Avx512, GqaKernelPath.Avx2, GqaKernelPath.Scalar];
    private static readonly int[] TokenCounts = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100];
    private static readonly int[] RowCounts = [5, 13, 97];

    public static TheoryData<GgmlType, int, GqaKernelPath> Cases()
    {
        var data = new TheoryData<GgmlType, int, GqaKernelPath>();
        foreach (GgmlType type in WeightMatrix.SupportedTypes)
        {
            foreach (GqaKernelPath path in Paths)
            {
                foreach (int rows in RowCounts)
                    data.Add(type, rows, path);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_output_is_within_the_bound_and_threads_1_and_2_give_the_same_bits(GgmlType type, int rows, GqaKernelPath path)
    {
        int columns = Columns(type);
        int seed = HashCode.Combine(type, rows, path);
        (byte[] bytes, double[] values) = RandomMatrix(type, rows, columns, seed);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, bytes);
        float[] x = EncodedMatrix.RandomVector(TokenCounts[^1] * columns, seed + 1);
        using var pool = new ComputePool(2);

        foreach (int tokens in TokenCounts)
        {
            string context = $"{type} {rows}×{columns} on {path}, {tokens} tokens";
            ReadOnlySpan<float> xs = x.AsSpan(0, tokens * columns);
            var y = new GuardedBuffer(tokens * rows);
            matrix.MultiplyMatrix(xs, tokens, y.Inner, null, path);
            y.AssertMarginsUntouched(context);
            for (int t = 0; t < tokens; t++)
                MatVecAssert.Close(QuantizedBlocks.Reference(values, rows, columns, xs.Slice(t * columns, columns)), y.Inner.Slice(t * rows, rows), $"{context}, token {t}");

            var threaded = new GuardedBuffer(tokens * rows);
            matrix.MultiplyMatrix(xs, tokens, threaded.Inner, pool, path);
            threaded.AssertMarginsUntouched($"{context}, 2 threads");
            MatVecAssert.Identical(y.Inner, threaded.Inner, $"{context}, 2 threads against 1");
        }
    }

    /// <summary>A token's outputs depend on its own x only, not on the batch around it, the batch size or its place in
    /// a tile: batches of 17, 5 and 1 tokens equal the first tokens of a 100-token batch (two blocks, padded tiles), bit
    /// for bit; and the AVX-512 and AVX2 paths give the same bits (so a prompt's bits do not depend on how it is cut
    /// into chunks, nor on the tile the batch size picks).</summary>
    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q6_K)]
    public void A_tokens_outputs_do_not_depend_on_the_rest_of_the_batch_or_the_vector_path(GgmlType type)
    {
        const int Rows = 29, Many = 100;
        int columns = Columns(type);
        (byte[] bytes, _) = RandomMatrix(type, Rows, columns, 5);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, columns, bytes);
        float[] x = EncodedMatrix.RandomVector(Many * columns, 6);

        foreach (GqaKernelPath path in new[] { GqaKernelPath.Avx512, GqaKernelPath.Avx2 })
        {
            var many = new float[Many * Rows];
            matrix.MultiplyMatrix(x, Many, many, null, path);
            foreach (int few in new[] { 17, 5, 1 })
            {
                var some = new float[few * Rows];
                matrix.MultiplyMatrix(x.AsSpan(0, few * columns), few, some, null, path);
                MatVecAssert.Identical(many.AsSpan(0, few * Rows), some, $"{type} on {path}: {few} tokens alone against the first {few} of {Many}");
            }
            var other = new float[Many * Rows];
            matrix.MultiplyMatrix(x, Many, other, null, path == GqaKernelPath.Avx512 ? GqaKernelPath.Avx2 : GqaKernelPath.Avx512);
            MatVecAssert.Identical(many, other, $"{type}: {Many} tokens on {path} against the other vector path");
        }
    }

    /// <summary>Element-format rows shorter than a 32-weight group (no whole group: the product is the partial group
    /// alone) or just around one, through the batched kernel (17 tokens).</summary>
    [Theory]
    [InlineData(GgmlType.F32, 1, GqaKernelPath.Avx512)]
    [InlineData(GgmlType.F16, 7, GqaKernelPath.Avx512)]
    [InlineData(GgmlType.BF16, 31, GqaKernelPath.Avx2)]
    [InlineData(GgmlType.F32, 33, GqaKernelPath.Avx2)]
    [InlineData(GgmlType.F16, 63, GqaKernelPath.Avx512)]
    public void Short_rows_are_within_the_bound(GgmlType type, int columns, GqaKernelPath path)
    {
        const int Rows = 5, Tokens = 17;
        EncodedMatrix encoded = EncodedMatrix.Random(type, Rows, columns, columns);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, Rows, columns, encoded.Bytes);
        float[] x = EncodedMatrix.RandomVector(Tokens * columns, columns + 1);
        var y = new GuardedBuffer(Tokens * Rows);
        matrix.MultiplyMatrix(x, Tokens, y.Inner, null, path);
        string context = $"{type} {Rows}×{columns} on {path}, {Tokens} tokens";
        y.AssertMarginsUntouched(context);
        for (int t = 0; t < Tokens; t++)
            MatVecAssert.Close(encoded.Reference(x.AsSpan(t * columns, columns)), y.Inner.Slice(t * Rows, Rows), $"{context}, token {t}");
    }

    /// <summary>Rows long enough to cross the 256-column chunks at a different phase per type family: element formats
    /// end in a partial 32-weight group, 32-weight block formats in a partial chunk, K-quants span three super-blocks.</summary>
    private static int Columns(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => 2 * 256 + 32 + 7,
        GgmlType.Q8_0 => 2 * 256 + 32,
        _ => QuantizedBlocks.Layout(type).Elements == 32 ? 2 * 256 + 32 : 3 * 256,
    };

    /// <summary>Random weights in <paramref name="type"/> and their exact values, by the tests' own encoders.</summary>
    private static (byte[] Bytes, double[] Values) RandomMatrix(GgmlType type, int rows, int columns, int seed)
    {
        if (type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0)
        {
            EncodedMatrix encoded = EncodedMatrix.Random(type, rows, columns, seed);
            return (encoded.Bytes, encoded.Values);
        }
        return QuantizedBlocks.RandomMatrix(type, rows, columns, seed);
    }
}
