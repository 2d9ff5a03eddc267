namespace GqaGen.Tests.Runtime;

/// <summary>
/// The layout options on the generated surface and in the registry: SlidingWindow (the window constant, ring caches
/// from CreateCache, caches of another window rejected) and KvElementTypes (the default storage type of CreateCache,
/// caches of other types decoded by the generic kernel, the registry's one-line warning).
/// </summary>
public sealed partial class LayoutOptionsTests
{
    // Three layouts of one shape nothing else in this assembly declares, registered in this order: a windowed one, one
    // compiled for f16 caches only, and a plain one.
    [GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 24, SlidingWindow = 64)]
    internal partial struct Windowed;

    [GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 24, KvElementTypes = KvElementTypes.Float16)]
    internal partial struct HalvesOnly;

    [GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 24)]
    internal partial struct Plain;

    // The only layout of its shape, and compiled for q8_0 caches only.
    [GqaLayout(Heads = 10, KvGroups = 5, HeadDim = 24, KvElementTypes = KvElementTypes.Q8_0)]
    internal partial struct Q8Only;

    [Fact]
    public void Options_are_constants_and_IGqaKernel_members()
    {
        Assert.Equal(64, Windowed.SlidingWindow);
        Assert.Equal(KvElementTypes.All, Windowed.KvElementTypes);
        Assert.Equal(0, HalvesOnly.SlidingWindow);
        Assert.Equal(KvElementTypes.Float16, HalvesOnly.KvElementTypes);
        Assert.Equal((64, KvElementTypes.All), Options<Windowed>());
        Assert.Equal((0, KvElementTypes.Q8_0), Options<Q8Only>());

        static (int, KvElementTypes) Options<T>() where T : IGqaKernel => (T.SlidingWindow, T.KvElementTypes);
    }

    [Fact]
    public void CreateCache_makes_rings_of_the_window_with_the_first_covered_storage_type_by_default()
    {
        using KvCache ring = Windowed.CreateCache(layers: 2, capacity: 1000);
        Assert.Equal((Windowed.Shape, 2, 1000, 64, 64, KvElementType.Float32), (ring.Shape, ring.Layers, ring.Capacity, ring.SlidingWindow, ring.Slots, ring.ElementType));

        using KvCache halves = HalvesOnly.CreateCache(layers: 1, capacity: 10);
        Assert.Equal((0, 10, KvElementType.Float16), (halves.SlidingWindow, halves.Slots, halves.ElementType));

        using KvCache chosen = Q8Only.CreateCache(layers: 1, capacity: 10, KvElementType.BFloat16);
        Assert.Equal(KvElementType.BFloat16, chosen.ElementType);
    }

    [Theory]
    [InlineData(0, "The cache has no sliding window but GqaGen.Tests.Runtime.LayoutOptionsTests.Windowed was generated for SlidingWindow = 64.")]
    [InlineData(32, "The cache has a sliding window of 32 positions but GqaGen.Tests.Runtime.LayoutOptionsTests.Windowed was generated for SlidingWindow = 64.")]
    public void A_windowed_layout_rejects_caches_of_another_window_naming_both_and_the_fix(int cacheWindow, string message)
    {
        using var cache = new KvCache(Windowed.Shape, 1, 100, KvElementType.Float32, cacheWindow);
        float[] kv = new float[Windowed.Shape.KvLength], query = new float[Windowed.Shape.QueryLength], output = new float[query.Length];

        var append = Assert.Throws<ArgumentException>(() => Windowed.AppendKv(cache, 0, 0, kv, kv));
        var decode = Assert.Throws<ArgumentException>(() => Windowed.Decode(query, cache, 0, new KvRange(0, 1), output, default));

        foreach (ArgumentException e in new[] { append, decode })
        {
            Assert.Equal("cache", e.ParamName);
            Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
            Assert.Contains("Windowed.CreateCache(layers, capacity, elementType)", e.Message, StringComparison.Ordinal);
            Assert.Contains("slidingWindow: 64", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(KvElementType.Float32)]
    [InlineData(KvElementType.BFloat16)]
    [InlineData(KvElementType.Q8_0)]
    public void A_storage_type_the_layout_does_not_cover_decodes_through_the_generic_kernel(KvElementType type)
    {
        using var cache = new KvCache(HalvesOnly.Shape, 1, 40, type);
        var random = new Random(7);
        float[] key = new float[HalvesOnly.Shape.KvLength], value = new float[key.Length];
        for (int p = 0; p < 40; p++)
        {
            Fill(key);
            Fill(value);
            HalvesOnly.AppendKv(cache, 0, p, key, value);
        }
        float[] query = new float[HalvesOnly.Shape.QueryLength];
        Fill(query);
        float[] generated = new float[query.Length], generic = new float[query.Length], generatedLse = new float[6], genericLse = new float[6];

        HalvesOnly.Decode(query, cache, 0, new KvRange(3, 40), generated, generatedLse);
        GenericGqaKernel.Decode(HalvesOnly.Shape, query, cache, 0, new KvRange(3, 40), generic, genericLse);

        Assert.Equal(generic, generated);
        Assert.Equal(genericLse, generatedLse);

        void Fill(float[] values)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(random.NextDouble() * 2 - 1);
        }
    }

    [Fact]
    public void Registry_prefers_a_layout_without_a_window_then_one_compiled_for_the_storage_type()
    {
        GqaShape shape = Plain.Shape;
        Assert.Contains(GqaKernelRegistry.All, k => k.Name.EndsWith("+Windowed", StringComparison.Ordinal));

        // The windowed layout registered first, but accepts only caches of its window: a plain one answers.
        Assert.True(GqaKernelRegistry.TryGet(shape, out GqaAttention? any));
        Assert.Equal(0, any.SlidingWindow);
        Assert.EndsWith("+HalvesOnly", GqaKernelRegistry.Resolve(shape, GqaKernelChoice.Auto, KvElementType.Float16, out string? halvesWarning).Name, StringComparison.Ordinal);
        Assert.Null(halvesWarning);
        Assert.EndsWith("+Plain", GqaKernelRegistry.Resolve(shape, GqaKernelChoice.Auto, KvElementType.Q8_0, out string? q8Warning).Name, StringComparison.Ordinal);
        Assert.Null(q8Warning);
    }

    [Fact]
    public void Resolve_warns_in_one_line_when_the_layout_does_not_cover_the_storage_type()
    {
        GqaAttention kernel = GqaKernelRegistry.Resolve(Q8Only.Shape, GqaKernelChoice.Generated, KvElementType.Float16, out string? warning);

        Assert.True(kernel.IsGenerated);
        Assert.Equal(KvElementTypes.Q8_0, kernel.KvElementTypes);
        Assert.NotNull(warning);
        Assert.DoesNotContain('\n', warning);
        Assert.Contains("is not compiled for f16 caches and runs the generic kernel on them", warning, StringComparison.Ordinal);
        Assert.Contains("add KvElementTypes.Float16 to its [GqaLayout]", warning, StringComparison.Ordinal);

        GqaKernelRegistry.Resolve(Q8Only.Shape, GqaKernelChoice.Auto, KvElementType.Q8_0, out string? none);
        Assert.Null(none);
        GqaKernelRegistry.Resolve(Q8Only.Shape, GqaKernelChoice.Auto, out string? untyped);
        Assert.Null(untyped);
    }

    [Fact]
    public void Resolve_rejects_an_unknown_storage_type_naming_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GqaKernelRegistry.Resolve(Plain.Shape, GqaKernelChoice.Auto, (KvElementType)9, out _));

        Assert.Equal("elementType", e.ParamName);
        Assert.Contains("expected one of Float32, Float16, BFloat16, Q8_0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bindings_report_the_options()
    {
        GqaAttention windowed = GqaAttention.For<Windowed>();
        Assert.Equal((64, KvElementTypes.All), (windowed.SlidingWindow, windowed.KvElementTypes));
        Assert.EndsWith(", sliding window 64", windowed.Description, StringComparison.Ordinal);
        Assert.True(GqaAttention.For<HalvesOnly>().Covers(KvElementType.Float16));
        Assert.False(GqaAttention.For<HalvesOnly>().Covers(KvElementType.Float32));

        GqaAttention generic = GqaAttention.Generic(Plain.Shape);
        Assert.Equal((0, KvElementTypes.All), (generic.SlidingWindow, generic.KvElementTypes));
    }
}
