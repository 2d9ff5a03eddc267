using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;
using static GqaGen.Tests.Runtime.ValidationFixture;

namespace GqaGen.Tests.Runtime;

/// <summary>Inputs that would once have given silent garbage: shared buffers, out-of-range row offsets, caches too large to address.</summary>
public sealed class AliasingAndOverflowTests
{
    [Theory]
    [InlineData(EntryPoints.Generated)]
    [InlineData(EntryPoints.Generic)]
    [InlineData(EntryPoints.Reference)]
    public void Decoding_in_place_is_rejected(string decoder)
    {
        using KvCache cache = NewCache();
        float[] buffer = Query();

        var ex = Assert.Throws<ArgumentException>(() => EntryPoints.Decoder(decoder, Layout)(buffer, cache, 0, KvRange.FromLength(4), buffer, new float[Shape.Heads]));

        Assert.Equal("output", ex.ParamName);
        Assert.Contains("overlaps query", ex.Message);
    }

    [Theory]
    [InlineData(EntryPoints.Generated)]
    [InlineData(EntryPoints.Generic)]
    public void LogSumExp_inside_the_output_is_rejected(string decoder)
    {
        using KvCache cache = NewCache();
        float[] output = new float[Shape.QueryLength];

        // The log-sum-exp span is a slice of the output array.
        var overlap = Assert.Throws<ArgumentException>(() => DecodeWithSlice(decoder, cache, output));
        Assert.Equal("logSumExp", overlap.ParamName);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(3, 0)]
    [InlineData(0, -1)]
    [InlineData(0, Capacity)]
    public void RowOffset_outside_the_cache_is_rejected(int group, int position)
    {
        using KvCache cache = NewCache();
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.RowOffset(group, position));
    }

    [Fact]
    public void A_cache_larger_than_the_address_space_throws_OutOfMemory_without_overflowing()
    {
        // 2 × (2^31 − 1) layers × ~2 GiB: about 2^63 bytes, more than any machine maps; the sizes must not wrap to a small allocation.
        Assert.Throws<OutOfMemoryException>(() => new KvCache(new GqaShape(1, 1, 1), layers: int.MaxValue, capacity: (1 << 29) - 1));
    }

    [Fact]
    public void A_layer_region_over_2_GiB_is_rejected_naming_the_capacity()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(new GqaShape(1, 1, 1), layers: 1, capacity: 1 << 29));
        Assert.Equal("capacity", ex.ParamName);
    }

    private static void DecodeWithSlice(string decoder, KvCache cache, float[] output)
    {
        Span<float> logSumExp = output.AsSpan(0, Shape.Heads);
        if (decoder == EntryPoints.Generated)
            Heads6Groups3Dim96.Decode(Query(), cache, 0, KvRange.FromLength(4), output, logSumExp);
        else
            GenericGqaKernel.Decode(Shape, Query(), cache, 0, KvRange.FromLength(4), output, logSumExp);
    }
}
