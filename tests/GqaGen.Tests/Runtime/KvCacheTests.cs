namespace GqaGen.Tests.Runtime;

/// <summary>KvCache construction, sizes, layout, alignment and disposal.</summary>
public sealed class KvCacheTests
{
    private static readonly GqaShape Shape = new(6, 3, 96);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_rejects_non_positive_layer_count(int layers)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Shape, layers, 8));
        Assert.Equal("layers", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Constructor_rejects_non_positive_capacity(int capacity)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Shape, 1, capacity));
        Assert.Equal("capacity", ex.ParamName);
    }

    [Fact]
    public void Constructor_rejects_a_capacity_whose_layer_would_exceed_int_MaxValue_elements()
    {
        // 512 floats per position: 4,194,304 positions is 2^31 elements, one past int.MaxValue. Rejected before allocating.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(new GqaShape(1, 1, 512), 1, 4_194_304));
        Assert.Equal("capacity", ex.ParamName);
    }

    [Fact]
    public void Constructor_rejects_an_uninitialized_shape()
    {
        var ex = Assert.Throws<ArgumentException>(() => new KvCache(default, 1, 8));
        Assert.Equal("shape", ex.ParamName);
    }

    [Fact]
    public void Constructor_rejects_an_unknown_element_type()
    {
        var ex = Assert.Throws<ArgumentException>(() => new KvCache(Shape, 1, 8, (KvElementType)99));
        Assert.Equal("elementType", ex.ParamName);
    }

    [Theory]
    [InlineData(32, 8, 128, 1, 1)]
    [InlineData(32, 8, 128, 32, 4096)]
    [InlineData(71, 1, 64, 3, 100)]
    [InlineData(1, 1, 1, 2, 3)]
    [InlineData(2, 1, 17, 5, 33)]
    public void SizeInBytes_is_two_times_layers_groups_headDim_capacity_floats(int heads, int kvGroups, int headDim, int layers, int capacity)
    {
        using var cache = new KvCache(new GqaShape(heads, kvGroups, headDim), layers, capacity);
        long expected = 2L * layers * kvGroups * headDim * capacity * sizeof(float);
        Assert.Equal(expected, cache.SizeInBytes);
        Assert.Equal(expected / capacity, cache.BytesPerPosition);
    }

    [Fact]
    public void New_cache_is_zeroed_and_each_layer_region_holds_groups_times_capacity_rows()
    {
        using var cache = new KvCache(Shape, 3, 11);
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            Assert.Equal(Shape.KvGroups * 11 * Shape.HeadDim, cache.Keys(layer).Length);
            Assert.Equal(Shape.KvGroups * 11 * Shape.HeadDim, cache.Values(layer).Length);
            Assert.All(cache.Keys(layer).ToArray(), k => Assert.Equal(0f, k));
            Assert.All(cache.Values(layer).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Layer_regions_do_not_overlap()
    {
        // Marks every region with its own value; any overlap would let a later fill overwrite an earlier one.
        using var cache = new KvCache(new GqaShape(2, 1, 3), 3, 5);
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            cache.Keys(layer).Fill(10 + layer);
            cache.Values(layer).Fill(20 + layer);
        }
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            Assert.All(cache.Keys(layer).ToArray(), k => Assert.Equal(10 + layer, k));
            Assert.All(cache.Values(layer).ToArray(), v => Assert.Equal(20 + layer, v));
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 3)]
    [InlineData(2, 1, 17, 5)]
    [InlineData(32, 8, 128, 7)]
    public unsafe void Every_layer_region_is_aligned_as_documented(int heads, int kvGroups, int headDim, int capacity)
    {
        using var cache = new KvCache(new GqaShape(heads, kvGroups, headDim), 3, capacity);
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            fixed (float* keys = cache.Keys(layer), values = cache.Values(layer))
            {
                Assert.True((nuint)keys % KvCache.Alignment == 0, $"Keys({layer}) at 0x{(nuint)keys:X} is not {KvCache.Alignment}-byte aligned.");
                Assert.True((nuint)values % KvCache.Alignment == 0, $"Values({layer}) at 0x{(nuint)values:X} is not {KvCache.Alignment}-byte aligned.");
            }
        }
    }

    [Fact]
    public void RowOffset_is_group_major_then_position()
    {
        using var cache = new KvCache(Shape, 1, 11);
        Assert.Equal(0, cache.RowOffset(0, 0));
        Assert.Equal(96, cache.RowOffset(0, 1));
        Assert.Equal(11 * 96, cache.RowOffset(1, 0));
        Assert.Equal((2 * 11 + 10) * 96, cache.RowOffset(2, 10));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void Region_of_a_missing_layer_is_rejected(int layer)
    {
        using var cache = new KvCache(Shape, 2, 4);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => cache.Keys(layer)).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => cache.Values(layer)).ParamName);
    }

    [Fact]
    public void Disposed_cache_refuses_its_regions()
    {
        var cache = new KvCache(Shape, 1, 4);
        cache.Dispose();
        Assert.True(cache.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => cache.Keys(0));
        Assert.Throws<ObjectDisposedException>(() => cache.Values(0));
    }

    [Fact]
    public void Dispose_twice_is_harmless()
    {
        var cache = new KvCache(Shape, 1, 4);
        Assert.False(cache.IsDisposed);
        cache.Dispose();
        cache.Dispose();
        Assert.True(cache.IsDisposed);
    }
}
