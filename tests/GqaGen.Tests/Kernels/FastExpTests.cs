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

    [Fact]
    public void ExpNonPositive_matches_double_precision_within_two_ulp_over_the_softmax_range()
    {
        var random = new Random(11);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            // score − max: the whole non-underflowing range below 0, with a denser share near 0 where weights matter.
            float x = i % 2 == 0 ? -87.3f * random.NextSingle() : -8f * random.NextSingle();
            double expected = Math.Exp(x);
            worst = Math.Max(worst, Math.Abs(FastExp.ExpNonPositive(Vector512.Create(x)).GetElement(7) - expected) / expected);
        }
        Assert.True(worst <= 2.5e-7, $"worst relative error {worst:E2}");
    }

    [Theory]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(-87.34f, 0f)]
    [InlineData(0f, 1f)]
    public void ExpNonPositive_handles_the_edges(float x, float expected)
        => Assert.Equal(expected, FastExp.ExpNonPositive(Vector512.Create(x)).GetElement(0));

    [Fact]
    public void ExpNonPositive_keeps_NaN_and_never_returns_a_subnormal()
    {
        Assert.True(float.IsNaN(FastExp.ExpNonPositive(Vector512.Create(float.NaN)).GetElement(0)));
        // Just above and below the smallest normal result (e^x = 2^-126 at x ≈ −87.33654): a normal float or exactly 0.
        for (float x = -87.5f; x <= -87.2f; x += 0.0001f)
        {
            float y = FastExp.ExpNonPositive(Vector512.Create(x)).GetElement(0);
            Assert.True(y == 0f || float.IsNormal(y), $"e^{x} gave {y:E9}");
        }
    }
}
