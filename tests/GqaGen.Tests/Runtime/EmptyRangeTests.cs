using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>Attending over no position yields zeros and a log-sum-exp of −∞ (an empty softmax denominator), not NaN.</summary>
public sealed class EmptyRangeTests
{
    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (string layout in new[] { nameof(Llama3_8B), nameof(Heads2Groups1Dim17), nameof(Heads1Groups1Dim1) })
            foreach (string decoder in new[] { EntryPoints.Generated, EntryPoints.Generic, EntryPoints.Reference })
                foreach (int at in new[] { 0, 5, 8 })
                    data.Add(layout, decoder, at);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Empty_range_writes_zeros_and_negative_infinity(string layoutName, string decoder, int at)
    {
        // 8 is the capacity: an empty range at the very end is still inside the cache.
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using var cache = new KvCache(layout.Shape, 1, 8);
        var output = new GuardedBuffer(layout.Shape.QueryLength);
        var logSumExp = new GuardedBuffer(layout.Shape.Heads);

        EntryPoints.Decoder(decoder, layout)(ValidationFixture.Filled(layout.Shape.QueryLength, 1f), cache, 0, new KvRange(at, at), output.Inner, logSumExp.Inner);

        Assert.All(output.Inner.ToArray(), o => Assert.Equal(0f, o));
        Assert.All(logSumExp.Inner.ToArray(), l => Assert.Equal(float.NegativeInfinity, l));
        output.AssertMarginsUntouched("output");
        logSumExp.AssertMarginsUntouched("logSumExp");
    }

    [Fact]
    public void Length_overload_with_length_zero_writes_zeros()
    {
        using var cache = new KvCache(Llama3_8B.Shape, 1, 4);
        float[] output = ValidationFixture.Filled(Llama3_8B.Heads * Llama3_8B.HeadDim, float.NaN);
        Llama3_8B.Decode(ValidationFixture.Filled(output.Length, 1f), cache, 0, 0, output);
        Assert.All(output, o => Assert.Equal(0f, o));
    }
}
