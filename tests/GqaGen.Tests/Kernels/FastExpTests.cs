using System.Runtime.Intrinsics;
using GqaGen.Kernels;
using Xunit;

namespace GqaGen.Tests.Kernels;

/// <summary>The softmax's single-precision exponential, against the double-precision one.</summary>
public sealed class FastExpTests
{
    [Fact]
    public void FastExp_matches_double_precision_within_two_ulp_over_the_softmax_range()
    {
        var random = new Random(7);
        double worst512 = 0, worst256 = 0;
        for (int i = 0; i < 200_000; i++)
        {
            // Softmax arguments are score − max ≤ 0; cover the whole non-underflowing range and a little above 0.
            float x = -87f + random.NextSingle() * 97f;
            double expected = Math.Exp(x);
            worst512 = Math.Max(worst512, Math.Abs(FastExp.Exp(Vector512.Create(x)).GetElement(3) - expected) / expected);
            worst256 = Math.Max(worst256, Math.Abs(FastExp.Exp(Vector256.Create(x)).GetElement(5) - expected) / expected);
        }
        Assert.True(worst512 <= 2.5e-7, $"Vector512 worst relative error {worst512:E2}");
        Assert.True(worst256 <= 2.5e-7, $"Vector256 worst relative error {worst256:E2}");
    }

    [Theory]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(0f, 1f)]
    [InlineData(1000f, float.PositiveInfinity)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    public void Handles_the_edges(float x, float expected)
    {
        Assert.Equal(expected, FastExp.Exp(Vector512.Create(x)).GetElement(0));
        Assert.Equal(expected, FastExp.Exp(Vector256.Create(x)).GetElement(0));
    }

    [Fact]
    public void FastExp_keeps_NaN()
    {
        Assert.True(float.IsNaN(FastExp.Exp(Vector512.Create(float.NaN)).GetElement(0)));
        Assert.True(float.IsNaN(FastExp.Exp(Vector256.Create(float.NaN)).GetElement(0)));
    }
}
