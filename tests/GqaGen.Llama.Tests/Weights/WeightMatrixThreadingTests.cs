using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Weights;

/// <summary><see cref="WeightMatrix"/> products split over a <see cref="ComputePool"/> (the pool itself is tested in
/// GqaGen.Tests, next to it).</summary>
public sealed class WeightMatrixThreadingTests
{
    /// <summary>Every row is computed by the same tile whatever the split, so any thread count gives the same bits.</summary>
    [Theory]
    [InlineData(GgmlType.F32, 17, 96)]
    [InlineData(GgmlType.F16, 64, 2080)]
    [InlineData(GgmlType.BF16, 5, 47)]
    [InlineData(GgmlType.Q8_0, 67, 160)]
    public void Multiplying_over_1_2_or_3_threads_gives_the_same_bits(GgmlType type, int rows, int columns)
    {
        EncodedMatrix encoded = EncodedMatrix.Random(type, rows, columns, 11);
        WeightMatrix matrix = WeightMatrix.FromArray("w", type, rows, columns, encoded.Bytes);
        const int Tokens = 6;
        float[] x = EncodedMatrix.RandomVector(Tokens * columns, 12);
        ReadOnlySpan<float> x0 = x.AsSpan(0, columns);

        var expectedVector = new float[rows];
        matrix.MultiplyVector(x0, expectedVector);
        var expectedMatrix = new float[Tokens * rows];
        matrix.MultiplyMatrix(x, Tokens, expectedMatrix);
        MatVecAssert.Close(encoded.Reference(x0), expectedVector, $"{type} {rows}×{columns}, inline");

        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var y = new float[rows];
            y.AsSpan().Fill(float.NaN);
            matrix.MultiplyVector(x0, y, pool);
            MatVecAssert.Identical(expectedVector, y, $"{type} {rows}×{columns}, MultiplyVector on {threads} threads");

            var ys = new float[Tokens * rows];
            ys.AsSpan().Fill(float.NaN);
            matrix.MultiplyMatrix(x, Tokens, ys, pool);
            MatVecAssert.Identical(expectedMatrix, ys, $"{type} {rows}×{columns}, MultiplyMatrix on {threads} threads");
        }
    }
}
