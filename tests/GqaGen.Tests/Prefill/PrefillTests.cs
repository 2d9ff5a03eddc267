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
    public void Two_threads_give_the_bits_of_one(KvElementType type, string layoutName, int window, int cached, int count)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using PrefillScenario scenario = PrefillScenario.Create(layout, type, window, cached, count, CaseSeed.For("prefill threads", layoutName, type, window, cached, count));
        float[] expected = scenario.Reference();
        using var pool = new ComputePool(2);
        foreach (GqaAttention kernel in new[] { Generated(layout), GqaAttention.Generic(layout.Shape) })
        {
            var one = new GuardedBuffer(count * layout.Shape.QueryLength);
            var two = new GuardedBuffer(count * layout.Shape.QueryLength);
            kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, scenario.FirstPosition, count, one.Inner);
            kernel.Prefill(scenario.Queries, scenario.Cache, scenario.Layer, scenario.FirstPosition, count, two.Inner, pool);
            string where = $"{kernel.Name}, {layout}, {type.ShortName()} cache, {(window > 0 ? $"window {window}, " : "")}{count} queries after {cached}";
            PrefillAssert.MatchesReference(scenario, expected, one.Inner, where + ", 1 thread");
            PrefillAssert.MatchesReference(scenario, expected, two.Inner, where + ", 2 threads");
            two.AssertMarginsUntouched(where + ", 2 threads");
            for (int i = 0; i < one.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(one.Inner[i]) == BitConverter.SingleToInt32Bits(two.Inner[i]),
                    $"{where}: element {i} is {two.Inner[i]:R} on 2 threads and {one.Inner[i]:R} on 1; every work item is computed the same way on any thread.");
        }
    }

    /// <summary>
    /// A NaN V row at a position some queries of a tile may not see (the block's last position: later than every other
    /// query; or, with a window, a position that the later queries of a tile no longer see) reaches only the queries that see
    /// it, as decode would: every output of those is NaN, and every other query matches the reference. Lane tiles
    /// (Llama3_8B, TinyLlama_1_1B on the vector paths) and row tiles (Falcon7B, d = 100, and the scalar path). Not fp16:
    /// its vector loads widen finite halves exactly but not NaN (Float16Rows), so a NaN stored there never shows as NaN.
    /// </summary>
    [Theory]
    [InlineData(nameof(Layouts.Llama3_8B), KvElementType.Float32, 0)]
    [InlineData(nameof(Layouts.Llama3_8B), KvElementType.BFloat16, 16)]
    [InlineData(nameof(Layouts.TinyLlama_1_1B), KvElementType.Float32, 0)]
    [InlineData(nameof(Layouts.TinyLlama_1_1B), KvElementType.Q8_0, 16)]
    [InlineData(nameof(Layouts.Falcon7B), KvElementType.Float32, 0)]
    [InlineData(nameof(Layouts.Heads4Groups2Dim100), KvElementType.Float32, 16)]
    public void A_non_finite_value_reaches_only_the_queries_that_see_it(string layoutName, KvElementType type, int window)
    {
        const int Cached = 5, Count = 24;
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        int end = Cached + Count;
        // With a window of 16, position 8 is seen by the queries at positions 8…23 only: tiles of 4 or 8 tokens holding
        // positions 21…24 or 21…28 cross its edge.
        int bad = window > 0 ? Cached + 3 : end - 1;
        using var cache = new KvCache(shape, layers: 1, end + 16, type, window, window > 0 ? Count + window - 1 + 3 : 0);
        var inputs = new RandomInputs(shape, InputVariant.Uniform, CaseSeed.For("prefill non-finite", layoutName, type, window));
        float[] nanRow = Enumerable.Repeat(float.NaN, shape.KvLength).ToArray();
        for (int p = 0; p < end; p++)
            layout.AppendKv(cache, 0, p, inputs.KeyRow(extreme: false), p == bad ? nanRow : inputs.ValueRow());
        var queries = new float[Count * shape.QueryLength];
        for (int i = 0; i < Count; i++)
            inputs.Query().CopyTo(queries, i * shape.QueryLength);
        var expected = new float[queries.Length];
        GqaReference.Prefill(shape, queries, cache, 0, Cached, Count, expected);

        foreach (GqaAttention kernel in new[] { Generated(layout), GqaAttention.Generic(shape) })
        {
            var output = new float[queries.Length];
            kernel.Prefill(queries, cache, 0, Cached, Count, output);
            for (int t = 0; t < Count; t++)
            {
                int position = Cached + t;
                bool sees = bad <= position && (window == 0 || bad > position - window);
                for (int h = 0; h < shape.Heads; h++)
                {
                    var actual = new ReadOnlySpan<float>(output, (t * shape.Heads + h) * shape.HeadDim, shape.HeadDim);
                    var reference = new ReadOnlySpan<float>(expected, (t * shape.Heads + h) * shape.HeadDim, shape.HeadDim);
                    string where = $"{kernel.Name} on path {kernel.ActivePath}, {layout}, {type.ShortName()} cache, window {window}, V of position {bad} NaN: query {t} (position {position}), head {h}";
                    if (sees)
                    {
                        foreach (float value in actual)
                            Assert.True(float.IsNaN(value), $"{where} sees the NaN row and should be NaN, but holds {value:R}.");
                        continue;
                    }
                    double max = 0, error = 0;
                    for (int i = 0; i < shape.HeadDim; i++)
                    {
                        max = Math.Max(max, Math.Abs(reference[i]));
                        error = Math.Max(error, Math.Abs(actual[i] - reference[i]));
                    }
                    Assert.True(error <= 1e-5 * max, $"{where} does not see the NaN row: error {error / max:E2} of max |ref| {max:G4} (≤ 1e-5 expected).");
                }
            }
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
