using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;
using Xunit.Sdk;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// The storage × window harness (<see cref="StorageDecodeRunner"/>, <see cref="StorageScenario"/>) passes a correct
/// decoder for every storage type and window and rejects deliberately broken ones: reads of poisoned rows (including
/// the Float16 poison, which is not NaN), a window ignored or off by one, the whole ring read for a short
/// range. These run today, with the reference as the decoder, independently of the kernels' progress.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class StorageHarnessSelfTests
{
    private static readonly LayoutKernel Layout = LayoutCatalog.Get(nameof(SmolLM2_135M));

    private static readonly AppendFunction Write = (cache, layer, position, key, value) => cache.Write(layer, position, key, value);

    public static TheoryData<KvElementType> Types() => new(Enum.GetValues<KvElementType>());

    public static TheoryData<KvElementType, int, int, int> CorrectCases()
    {
        var data = new TheoryData<KvElementType, int, int, int>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
            foreach (var (window, start, count) in new[] { (0, 13, 32), (7, 40, 5), (16, 0, 40), (16, 13, 17), (100, 0, 65) })
                data.Add(type, window, start, count);
        return data;
    }

    [Theory]
    [MemberData(nameof(CorrectCases))]
    public void A_correct_decoder_passes(KvElementType type, int window, int start, int count)
        => Run(new StorageCase(type, window, start, count), Reference);

    [Theory]
    [MemberData(nameof(Types))]
    public void Reading_one_position_past_the_range_is_caught(KvElementType type)
        => AssertCaught(new StorageCase(type, 0, 0, 33), (q, c, l, p, o, lse) => Reference(q, c, l, new KvRange(p.Start, p.End + 1), o, lse));

    [Theory]
    [MemberData(nameof(Types))]
    public void Reading_one_position_before_the_range_is_caught(KvElementType type)
        => AssertCaught(new StorageCase(type, 0, 13, 32), (q, c, l, p, o, lse) => Reference(q, c, l, new KvRange(p.Start - 1, p.End), o, lse));

    [Theory]
    [MemberData(nameof(Types))]
    public void Reading_the_wrong_layer_is_caught(KvElementType type)
        => AssertCaught(new StorageCase(type, 16, 13, 17), (q, c, l, p, o, lse) => Reference(q, c, 1 - l, p, o, lse));

    [Theory]
    [MemberData(nameof(Types))]
    public void Ignoring_the_window_is_caught(KvElementType type)
    {
        // Attending every position of [0, 40) through the ring: positions older than the window read the slots of
        // newer ones, which then count twice.
        AssertCaught(new StorageCase(type, 16, 0, 40), (q, c, l, p, o, lse) => Naive(q, c, l, p.Start, p.End, o, lse));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void A_window_one_position_too_wide_is_caught(KvElementType type)
        => AssertCaught(new StorageCase(type, 16, 13, 34), (q, c, l, p, o, lse) => Naive(q, c, l, p.End - 17, p.End, o, lse));

    [Theory]
    [MemberData(nameof(Types))]
    public void Reading_the_whole_ring_for_a_shorter_range_is_caught(KvElementType type)
        => AssertCaught(new StorageCase(type, 16, 40, 10), (q, c, l, p, o, lse) => Reference(q, c, l, new KvRange(p.End - 16, p.End), o, lse));

    [Theory]
    [InlineData(KvElementType.Float16)]
    [InlineData(KvElementType.BFloat16)]
    [InlineData(KvElementType.Q8_0)]
    public void Computing_on_the_unrounded_rows_would_be_caught(KvElementType type)
    {
        // The 1e-5 bar can tell a kernel that reads the stored format from one that somehow saw the raw floats:
        // on the matrix's inputs the two references are further apart than the tolerance in every case below.
        foreach (var (window, start, count) in new[] { (0, 0, 1), (0, 0, 33), (16, 40, 10) })
        {
            using StorageScenario scenario = StorageScenario.Create(Layout.Shape, type, window, new KvRange(start, start + count),
                start == 0 ? 0 : 1, InputVariant.Uniform, Write, CaseSeed.For(nameof(Computing_on_the_unrounded_rows_would_be_caught), type, count));
            var (rounded, _) = scenario.Reference();
            var (unrounded, _) = scenario.UnroundedReference();
            double worst = 0;
            for (int h = 0; h < Layout.Shape.Heads; h++)
                worst = Math.Max(worst, AttentionAssert.NormwiseRelativeError(rounded.AsSpan(h * Layout.Shape.HeadDim, Layout.Shape.HeadDim), unrounded.AsSpan(h * Layout.Shape.HeadDim, Layout.Shape.HeadDim)));
            Assert.True(worst > 10 * AttentionAssert.Tolerance,
                $"{type}, {count} positions: the references on rounded and unrounded rows differ by only {worst:E2}, too little for the 1e-5 bar to tell them apart.");
        }
    }

    private static void Reference(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp)
        => GqaReference.Decode(Layout.Shape, query, cache, layer, positions, output, logSumExp);

    /// <summary>Attention over positions [<paramref name="start"/>, <paramref name="end"/>) read one by one through
    /// <see cref="KvCache.ReadKey"/> (a ring maps each to its slot), with no window applied: the broken decoders' core.</summary>
    private static void Naive(ReadOnlySpan<float> query, KvCache cache, int layer, int start, int end, Span<float> output, Span<float> logSumExp)
    {
        GqaShape shape = cache.Shape;
        int d = shape.HeadDim;
        var key = new float[d];
        var value = new float[d];
        for (int h = 0; h < shape.Heads; h++)
        {
            int group = h / shape.HeadsPerGroup;
            var scores = new double[end - start];
            for (int p = start; p < end; p++)
            {
                cache.ReadKey(layer, group, p, key);
                double dot = 0;
                for (int i = 0; i < d; i++)
                    dot += (double)query[h * d + i] * key[i];
                scores[p - start] = dot / Math.Sqrt(d);
            }
            double max = scores.Max(), sum = scores.Sum(s => Math.Exp(s - max));
            var acc = new double[d];
            for (int p = start; p < end; p++)
            {
                cache.ReadValue(layer, group, p, value);
                double weight = Math.Exp(scores[p - start] - max) / sum;
                for (int i = 0; i < d; i++)
                    acc[i] += weight * value[i];
            }
            for (int i = 0; i < d; i++)
                output[h * d + i] = (float)acc[i];
            logSumExp[h] = (float)(max + Math.Log(sum));
        }
    }

    private static void AssertCaught(StorageCase c, DecodeFunction broken)
        => Assert.ThrowsAny<XunitException>(() => Run(c, broken));

    private static void Run(StorageCase c, DecodeFunction decoder)
        => StorageDecodeRunner.Check(Layout, c, InputVariant.Uniform, "storage harness self-test", GqaKernelPath.Scalar, Write, decoder);
}
