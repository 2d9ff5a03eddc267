using System.Numerics.Tensors;
using GqaGen.Kernels;
using Xunit;

namespace GqaGen.Tests.Kernels;

/// <summary><see cref="GqaSimd.Scale"/> and <see cref="GqaSimd.ScaleAdd"/>, which replace TensorPrimitives' Multiply and
/// MultiplyAdd in the kernels: the same bits for every length across the vector widths' boundaries, in place too.</summary>
public sealed class ScaleTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (int length = 0; length <= 40; length++)
            data.Add(length);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Scale_gives_TensorPrimitives_Multiply_bit_for_bit(int length)
    {
        var random = new Random(length);
        float[] source = Enumerable.Range(0, length).Select(_ => random.NextSingle() * 200 - 100).ToArray();
        float factor = random.NextSingle() * 3 + 0.1f;
        float[] expected = new float[length];
        TensorPrimitives.Multiply(source, factor, expected);

        float[] actual = Enumerable.Repeat(float.NaN, length + 3).ToArray();
        GqaSimd.Scale(source, factor, actual);
        Assert.Equal(expected, actual.Take(length));
        Assert.All(actual.Skip(length), value => Assert.True(float.IsNaN(value), "wrote past the source's length"));

        float[] inPlace = (float[])source.Clone();
        GqaSimd.Scale(inPlace, factor, inPlace);
        Assert.Equal(expected, inPlace);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ScaleAdd_gives_TensorPrimitives_MultiplyAdd_bit_for_bit(int length)
    {
        var random = new Random(100 + length);
        float[] source = Enumerable.Range(0, length).Select(_ => random.NextSingle() * 200 - 100).ToArray();
        float[] destination = Enumerable.Range(0, length).Select(_ => random.NextSingle() * 200 - 100).ToArray();
        float factor = random.NextSingle() * 3 + 0.1f;
        float[] expected = new float[length];
        TensorPrimitives.MultiplyAdd(source, factor, destination, expected);

        GqaSimd.ScaleAdd(source, factor, destination);
        Assert.Equal(expected, destination);
    }

    [Fact]
    public void A_short_destination_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GqaSimd.Scale(new float[5], 2f, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GqaSimd.ScaleAdd(new float[5], 2f, new float[4]));
    }
}
