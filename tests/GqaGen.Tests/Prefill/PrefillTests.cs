using GqaGen.Tests.Support;

namespace GqaGen.Tests.Prefill;

/// <summary>
/// The tiled prefill, generated and generic, against the reference (per query, the plain causal softmax): outputs
/// poisoned first, every element of every query checked; and the same bits on one and on two threads. A kernel test:
/// CI runs it again on each narrower instruction-set path.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class PrefillTests
{
    [Theory]
    [MemberData(nameof(PrefillCases.Matrix), MemberType = typeof(PrefillCases))]
    public void Generated_and_generic_prefill_match_the_reference(KvElementType type, string layoutName, int window, int cached, int count)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using PrefillScenario scenario = PrefillScenario.Create(layout, type, window, cached, count, CaseSeed.For("prefill", layoutName, type, window, cached, count));
        float[] expected = scenario.Reference();
        string context = $"{layout}, {type.ShortName()} cache, {(window > 0 ? $"window {window} ({scenario.Cache.Slots} slots)" : "no window")}, "
            + $"{count} queries after {cached} cached positions";

        foreach (GqaAttention kernel in new[] { Generated(layout), GqaAttention.Generic(layout.Shape) })
        {
            var output = new GuardedBuffer(count * layout.Shape.QueryLength);
            kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, scenario.FirstPosition, count, output.Inner);
            string where = $"{kernel.Name} on path {kernel.ActivePath}, {context}";
            PrefillAssert.MatchesReference(scenario, expected, output.Inner, where);
            output.AssertMarginsUntouched($"{where}: output");
        }
    }

    [Theory]
    [MemberData(nameof(PrefillCases.Threads), MemberType = typeof(PrefillCases))]
    public void Two_threads_give_the_bits_of_one(KvElementType type, string layoutName, int cached, int count)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using PrefillScenario scenario = PrefillScenario.Create(layout, type, 0, cached, count, CaseSeed.For("prefill threads", layoutName, type, cached, count));
        float[] expected = scenario.Reference();
        using var pool = new ComputePool(2);
        foreach (GqaAttention kernel in new[] { Generated(layout), GqaAttention.Generic(layout.Shape) })
        {
            var one = new GuardedBuffer(count * layout.Shape.QueryLength);
            var two = new GuardedBuffer(count * layout.Shape.QueryLength);
            kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, scenario.FirstPosition, count, one.Inner);
            kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, scenario.FirstPosition, count, two.Inner, pool);
            string where = $"{kernel.Name}, {layout}, {type.ShortName()} cache, {count} queries after {cached}";
            PrefillAssert.MatchesReference(scenario, expected, one.Inner, where + ", 1 thread");
            PrefillAssert.MatchesReference(scenario, expected, two.Inner, where + ", 2 threads");
            two.AssertMarginsUntouched(where + ", 2 threads");
            for (int i = 0; i < one.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(one.Inner[i]) == BitConverter.SingleToInt32Bits(two.Inner[i]),
                    $"{where}: element {i} is {two.Inner[i]:R} on 2 threads and {one.Inner[i]:R} on 1; every work item is computed the same way on any thread.");
        }
    }

    [Fact]
    public void Prefill_of_one_query_equals_decode_over_its_causal_range()
    {
        LayoutKernel layout = LayoutCatalog.Get(nameof(Layouts.Llama3_8B));
        using PrefillScenario scenario = PrefillScenario.Create(layout, KvElementType.Float32, 0, 40, 1, CaseSeed.For("prefill one"));
        GqaAttention kernel = Generated(layout);
        var prefill = new float[layout.Shape.QueryLength];
        var decode = new float[layout.Shape.QueryLength];
        kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, 40, 1, prefill);
        kernel.Decode(scenario.Queries, scenario.Cache, scenario.Layer, new KvRange(0, 41), decode);
        double error = AttentionAssert.NormwiseRelativeError(decode, prefill);
        Assert.True(error <= AttentionAssert.Tolerance, $"prefill of position 40 differs from decode over [0, 41) by {error:E3}.");
    }

    /// <summary>The generated binding of <paramref name="layout"/>, as a decoder holds it.</summary>
    internal static GqaAttention Generated(LayoutKernel layout)
        => (GqaAttention)typeof(GqaAttention).GetMethod(nameof(GqaAttention.For))!.MakeGenericMethod(layout.Type).Invoke(null, null)!;
}
