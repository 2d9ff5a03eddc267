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

    // Without AVX-512, ExpNonPositive is Exp, so these tests then check the fallback's contract (what runs there).

    [Fact]
    public void ExpNonPositive_matches_double_precision_within_two_ulp_over_the_softmax_range()
    {
        var random = new Random(11);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            // score − max: the whole non-underflowing range below 0, a denser share near 0 where weights matter, and the
            // last sliver above the smallest normal result.
            float x = (i % 3) switch
            {
                0 => -87.33f * random.NextSingle(),
                1 => -8f * random.NextSingle(),
                _ => -87.3365f + 0.0365f * random.NextSingle(),
            };
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
    [InlineData(float.NaN, float.NaN)]
    public void ExpNonPositive_handles_the_edges(float x, float expected)
        => Assert.Equal(expected, FastExp.ExpNonPositive(Vector512.Create(x)).GetElement(0));

    [Fact]
    public void ExpNonPositive_handles_each_lane_on_its_own()
    {
        float[] x = [float.NaN, float.NegativeInfinity, 0f, -87.34f, -87.33654f, -1f, -0.5f, -20f,
                     -86f, float.NaN, -3f, float.NegativeInfinity, -0.001f, -60f, -87.3f, -10f];
        Vector512<float> y = FastExp.ExpNonPositive(Vector512.Create(x));
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(x[i]))
                Assert.True(float.IsNaN(y[i]), $"lane {i}: e^NaN gave {y[i]}");
            else if (x[i] < -87.33654f)
                Assert.Equal(0f, y[i]);
            else
                Assert.True(Math.Abs(y[i] - Math.Exp(x[i])) <= 2.5e-7 * Math.Exp(x[i]), $"lane {i}: e^{x[i]} gave {y[i]:E9}");
        }
    }

    [Fact]
    public void ExpNonPositive_never_returns_a_subnormal()
    {
        // Every float from −87.34 to −87.33 (the smallest normal result, 2^-126, is e^-87.336545): a normal float or exactly 0.
        for (float x = -87.34f; x <= -87.33f; x = MathF.BitIncrement(x))
        {
            float y = FastExp.ExpNonPositive(Vector512.Create(x)).GetElement(0);
            Assert.True(y == 0f || float.IsNormal(y), $"e^{x:R} gave {y:E9}");
        }
    }
}
