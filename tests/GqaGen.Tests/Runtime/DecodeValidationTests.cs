using GqaGen.Tests.Support;
using static GqaGen.Tests.Runtime.ValidationFixture;

namespace GqaGen.Tests.Runtime;

/// <summary>The generated, generic and reference Decode reject bad arguments alike, before touching the output.</summary>
public sealed class DecodeValidationTests
{
    [Theory]
    [InlineData(EntryPoints.Generated, "query", 575)]
    [InlineData(EntryPoints.Generated, "output", 577)]
    [InlineData(EntryPoints.Generated, "logSumExp", 5)]
    [InlineData(EntryPoints.Generated, "logSumExp", 576)]
    [InlineData(EntryPoints.Generic, "query", 96)]
    [InlineData(EntryPoints.Generic, "output", 575)]
    [InlineData(EntryPoints.Generic, "logSumExp", 7)]
    [InlineData(EntryPoints.Reference, "query", 577)]
    [InlineData(EntryPoints.Reference, "output", 0)]
    [InlineData(EntryPoints.Reference, "logSumExp", 1)]
    public void Span_of_wrong_length_is_rejected_naming_expected_and_actual_counts(string decoder, string span, int length)
    {
        using KvCache cache = NewCache();
        float[] query = span == "query" ? new float[length] : Query();
        float[] output = span == "output" ? new float[length] : new float[Shape.QueryLength];
        float[] logSumExp = span == "logSumExp" ? new float[length] : new float[Shape.Heads];

        var ex = Assert.Throws<ArgumentException>(() => Decode(decoder, query, cache, 0, KvRange.FromLength(4), output, logSumExp));

        Assert.Equal(span, ex.ParamName);
        Assert.Contains($"{length} elements", ex.Message);
        Assert.Contains(span == "logSumExp" ? $"expected {Shape.Heads}" : $"expected {Shape.QueryLength}", ex.Message);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Decoders), MemberType = typeof(EntryPoints))]
    public void Empty_logSumExp_is_accepted(string decoder)
    {
        using KvCache cache = NewCache();
        var output = new float[Shape.QueryLength];
        Decode(decoder, Query(), cache, 0, KvRange.FromLength(4), output, default);
        Assert.All(output, o => Assert.True(float.IsFinite(o)));
    }

    [Theory]
    [InlineData(EntryPoints.Generated, 0, Capacity + 1)]
    [InlineData(EntryPoints.Generated, Capacity, Capacity + 1)]
    [InlineData(EntryPoints.Generated, 30, 100)]
    [InlineData(EntryPoints.Generic, 0, Capacity + 1)]
    [InlineData(EntryPoints.Reference, 0, Capacity + 1)]
    public void Range_reaching_past_capacity_is_rejected_naming_the_capacity(string decoder, int start, int end)
    {
        using KvCache cache = NewCache();
        var output = ValidationFixture.Filled(Shape.QueryLength, float.NaN);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Decode(decoder, Query(), cache, 0, new KvRange(start, end), output, default));

        Assert.Equal("positions", ex.ParamName);
        Assert.Contains($"capacity {Capacity}", ex.Message);
        Assert.All(output, o => Assert.True(float.IsNaN(o), "A rejected decode must not write the output."));
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Decoders), MemberType = typeof(EntryPoints))]
    public void Range_ending_exactly_at_capacity_is_accepted(string decoder)
    {
        using KvCache cache = NewCache();
        var output = new float[Shape.QueryLength];
        Decode(decoder, Query(), cache, 1, new KvRange(Capacity - 20, Capacity), output, new float[Shape.Heads]);
        Assert.All(output, o => Assert.True(float.IsFinite(o)));
    }

    [Fact]
    public void Length_overload_past_capacity_is_rejected()
    {
        using KvCache cache = NewCache();
        Assert.Throws<ArgumentOutOfRangeException>(() => Layouts.Heads6Groups3Dim96.Decode(Query(), cache, 0, Capacity + 1, new float[Shape.QueryLength]));
    }

    [Theory]
    [InlineData(EntryPoints.Generated, -1)]
    [InlineData(EntryPoints.Generated, Layers)]
    [InlineData(EntryPoints.Generic, Layers)]
    [InlineData(EntryPoints.Reference, -1)]
    public void Layer_outside_the_cache_is_rejected(string decoder, int layer)
    {
        using KvCache cache = NewCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Decode(decoder, Query(), cache, layer, KvRange.FromLength(1), new float[Shape.QueryLength], default));
        Assert.Equal("layer", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Decoders), MemberType = typeof(EntryPoints))]
    public void Cache_of_another_shape_is_rejected(string decoder)
    {
        // H·d and G·d match the layout's (576 and 288); only the split into heads differs.
        using var cache = new KvCache(new GqaShape(12, 6, 48), Layers, Capacity);
        var ex = Assert.Throws<ArgumentException>(() => Decode(decoder, Query(), cache, 0, KvRange.FromLength(1), new float[Shape.QueryLength], default));
        Assert.Equal("cache", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Decoders), MemberType = typeof(EntryPoints))]
    public void Null_cache_is_rejected(string decoder)
        => Assert.Throws<ArgumentNullException>(() => Decode(decoder, Query(), null!, 0, KvRange.FromLength(1), new float[Shape.QueryLength], default));

    [Theory]
    [MemberData(nameof(EntryPoints.Decoders), MemberType = typeof(EntryPoints))]
    public void Disposed_cache_is_rejected(string decoder)
    {
        KvCache cache = NewCache();
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Decode(decoder, Query(), cache, 0, KvRange.FromLength(1), new float[Shape.QueryLength], default));
    }

    private static void Decode(string decoder, float[] query, KvCache cache, int layer, KvRange positions, float[] output, Span<float> logSumExp)
        => EntryPoints.Decoder(decoder, Layout)(query, cache, layer, positions, output, logSumExp);
}
