using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// <see cref="KvCache"/> for every <see cref="KvElementType"/>: row and region sizes (q8_0: 34 bytes per started
/// block of 32 elements), the reported byte counts, where each row lives, and that <c>Write</c> stores exactly the
/// bytes of the format's definition and <c>ReadKey</c>/<c>ReadValue</c> give back exactly the values they denote.
/// </summary>
public sealed class KvCacheStorageTests
{
    public static TheoryData<KvElementType> Types() => new(Enum.GetValues<KvElementType>());

    public static TheoryData<KvElementType, int> TypesAndHeadDims()
    {
        var data = new TheoryData<KvElementType, int>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
            foreach (int d in new[] { 1, 7, 17, 31, 32, 33, 40, 64, 96, 100, 128, 512 })
                data.Add(type, d);
        return data;
    }

    [Theory]
    [InlineData(KvElementType.Float32, 1, 4)]
    [InlineData(KvElementType.Float32, 128, 512)]
    [InlineData(KvElementType.Float16, 17, 34)]
    [InlineData(KvElementType.Float16, 128, 256)]
    [InlineData(KvElementType.BFloat16, 1, 2)]
    [InlineData(KvElementType.BFloat16, 96, 192)]
    [InlineData(KvElementType.Q8_0, 1, 34)]     // one block, 31 elements of padding
    [InlineData(KvElementType.Q8_0, 32, 34)]
    [InlineData(KvElementType.Q8_0, 33, 68)]
    [InlineData(KvElementType.Q8_0, 100, 136)]  // four blocks, the last holding 4 elements
    [InlineData(KvElementType.Q8_0, 128, 136)]  // 8.5 bits per element
    [InlineData(KvElementType.Q8_0, 512, 544)]
    public void RowBytes_is_the_element_size_times_d_or_34_bytes_per_started_q8_0_block(KvElementType type, int headDim, int expected)
    {
        Assert.Equal(expected, type.RowBytes(headDim));
        using var cache = new KvCache(new GqaShape(1, 1, headDim), 1, 3, type);
        Assert.Equal(expected, cache.RowBytes);
    }

    [Theory]
    [MemberData(nameof(TypesAndHeadDims))]
    public void Sizes_follow_from_the_row_size(KvElementType type, int headDim)
    {
        const int Layers = 3, Capacity = 11, Groups = 2;
        using var cache = new KvCache(new GqaShape(4, Groups, headDim), Layers, Capacity, type);
        int rowBytes = RowOracle.RowBytes(type, headDim);
        Assert.Equal(type, cache.ElementType);
        Assert.Equal(rowBytes, cache.RowBytes);
        Assert.Equal(Capacity, cache.Slots);
        Assert.Equal(2L * Layers * Groups * Capacity * rowBytes, cache.SizeInBytes);
        Assert.Equal(2L * Layers * Groups * rowBytes, cache.BytesPerPosition);
        for (int layer = 0; layer < Layers; layer++)
        {
            Assert.Equal(Groups * Capacity * rowBytes, cache.KeyBytes(layer).Length);
            Assert.Equal(Groups * Capacity * rowBytes, cache.ValueBytes(layer).Length);
        }
        Assert.Equal((1 * Capacity + 7) * rowBytes, cache.RowByteOffset(1, 7));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Every_region_is_aligned_and_none_overlaps(KvElementType type)
    {
        // d = 17: rows of 68, 34, 34 and 34 bytes, so regions are not whole cache lines and alignment needs padding.
        using var cache = new KvCache(new GqaShape(2, 1, 17), 3, 5, type);
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            fixed (byte* keys = cache.KeyBytes(layer), values = cache.ValueBytes(layer))
            {
                Assert.True((nuint)keys % KvCache.Alignment == 0, $"KeyBytes({layer}) at 0x{(nuint)keys:X} is not {KvCache.Alignment}-byte aligned.");
                Assert.True((nuint)values % KvCache.Alignment == 0, $"ValueBytes({layer}) at 0x{(nuint)values:X} is not {KvCache.Alignment}-byte aligned.");
            }
            cache.KeyBytes(layer).Fill((byte)(10 + layer));
            cache.ValueBytes(layer).Fill((byte)(20 + layer));
        }
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            Assert.All(cache.KeyBytes(layer).ToArray(), b => Assert.Equal(10 + layer, b));
            Assert.All(cache.ValueBytes(layer).ToArray(), b => Assert.Equal(20 + layer, b));
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void A_new_cache_reads_back_zeros(KvElementType type)
    {
        using var cache = new KvCache(new GqaShape(2, 2, 40), 2, 3, type);
        var row = new float[40];
        for (int layer = 0; layer < 2; layer++)
            for (int group = 0; group < 2; group++)
                for (int p = 0; p < 3; p++)
                {
                    row.AsSpan().Fill(float.NaN);
                    cache.ReadKey(layer, group, p, row);
                    Assert.All(row, x => Assert.Equal(0f, x));
                    row.AsSpan().Fill(float.NaN);
                    cache.ReadValue(layer, group, p, row);
                    Assert.All(row, x => Assert.Equal(0f, x));
                }
    }

    [Theory]
    [MemberData(nameof(TypesAndHeadDims))]
    public void Write_stores_the_defined_bytes_in_its_row_only_and_reads_give_back_their_values(KvElementType type, int headDim)
    {
        var shape = new GqaShape(3, 3, headDim);
        const int Layers = 2, Capacity = 4;
        using var cache = new KvCache(shape, Layers, Capacity, type);
        var random = new Random(CaseSeed.For(nameof(Write_stores_the_defined_bytes_in_its_row_only_and_reads_give_back_their_values), type, headDim));
        float[] key = RandomRow(random, shape.KvLength), value = RandomRow(random, shape.KvLength);

        cache.Write(1, 2, key, value);

        int d = headDim, rowBytes = cache.RowBytes;
        for (int layer = 0; layer < Layers; layer++)
            for (int group = 0; group < shape.KvGroups; group++)
                for (int p = 0; p < Capacity; p++)
                {
                    bool written = layer == 1 && p == 2;
                    int at = cache.RowByteOffset(group, p);
                    byte[] expectedKey = written ? RowOracle.Encode(type, key.AsSpan(group * d, d)) : new byte[rowBytes];
                    byte[] expectedValue = written ? RowOracle.Encode(type, value.AsSpan(group * d, d)) : new byte[rowBytes];
                    string where = $"{type}, d = {d}: layer {layer}, group {group}, position {p}";
                    Assert.True(expectedKey.AsSpan().SequenceEqual(cache.KeyBytes(layer).Slice(at, rowBytes)), $"{where}: key bytes differ from the format's encoding.");
                    Assert.True(expectedValue.AsSpan().SequenceEqual(cache.ValueBytes(layer).Slice(at, rowBytes)), $"{where}: value bytes differ from the format's encoding.");
                    if (!written)
                        continue;

                    var read = new float[d];
                    cache.ReadKey(layer, group, p, read);
                    AssertRow(RowOracle.RoundTrip(type, key.AsSpan(group * d, d)), read, where + ", ReadKey");
                    cache.ReadValue(layer, group, p, read);
                    AssertRow(RowOracle.RoundTrip(type, value.AsSpan(group * d, d)), read, where + ", ReadValue");
                }
    }

    [Theory]
    [InlineData(KvElementType.Float16)]
    [InlineData(KvElementType.BFloat16)]
    [InlineData(KvElementType.Q8_0)]
    public void Float_views_exist_only_for_Float32_caches(KvElementType type)
    {
        using var cache = new KvCache(new GqaShape(1, 1, 8), 1, 2, type);
        Assert.Contains("Float32", Assert.Throws<NotSupportedException>(() => cache.Keys(0)).Message, StringComparison.Ordinal);
        Assert.Contains("Float32", Assert.Throws<NotSupportedException>(() => cache.Values(0)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ReadKey_rejects_a_destination_of_the_wrong_length_naming_both(KvElementType type)
    {
        using var cache = new KvCache(new GqaShape(2, 1, 17), 1, 2, type);
        var e = Assert.Throws<ArgumentException>(() => cache.ReadKey(0, 0, 0, new float[16]));
        Assert.Equal("destination", e.ParamName);
        Assert.Contains("16", e.Message, StringComparison.Ordinal);
        Assert.Contains("17", e.Message, StringComparison.Ordinal);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => cache.ReadValue(0, 0, 0, new float[18])).ParamName);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void Reads_and_writes_of_a_missing_position_are_rejected(int position)
    {
        using var cache = new KvCache(new GqaShape(1, 1, 4), 1, 2, KvElementType.Q8_0);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => cache.ReadKey(0, 0, position, new float[4])).ParamName);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => cache.Write(0, position, new float[4], new float[4])).ParamName);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Write_rejects_rows_of_the_wrong_length(KvElementType type)
    {
        using var cache = new KvCache(new GqaShape(2, 2, 5), 1, 2, type);
        var e = Assert.Throws<ArgumentException>(() => cache.Write(0, 0, new float[9], new float[10]));
        Assert.Equal("key", e.ParamName);
        Assert.Contains("10", e.Message, StringComparison.Ordinal);
        Assert.Equal("value", Assert.Throws<ArgumentException>(() => cache.Write(0, 0, new float[10], new float[11])).ParamName);
    }

    [Fact]
    public void RowBytes_rejects_an_unknown_type_and_a_non_positive_head_dim()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ((KvElementType)9).RowBytes(4));
        Assert.Equal("type", e.ParamName);
        Assert.Contains("Float32, Float16, BFloat16, Q8_0", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => KvElementType.Float16.RowBytes(0));
    }

    [Fact]
    public void Short_names_and_flags_are_llama_cpp_s_and_one_bit_each()
    {
        Assert.Equal(["f32", "f16", "bf16", "q8_0"], Enum.GetValues<KvElementType>().Select(t => t.ShortName()));
        Assert.Equal(KvElementTypes.All, Enum.GetValues<KvElementType>().Aggregate(KvElementTypes.None, (set, t) => set | t.ToFlag()));
        Assert.All(Enum.GetValues<KvElementType>(), t => Assert.Equal(1, int.PopCount((int)t.ToFlag())));
    }

    private static float[] RandomRow(Random random, int length)
    {
        var row = new float[length];
        for (int i = 0; i < length; i++)
            row[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-6, 7)));
        return row;
    }

    private static void AssertRow(float[] expected, float[] actual, string context)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{context}: element {i} reads {actual[i]:R}; the stored bytes denote {expected[i]:R}.");
        }
    }
}
