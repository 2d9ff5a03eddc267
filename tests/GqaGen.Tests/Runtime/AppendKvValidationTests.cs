using GqaGen.Tests.Support;
using static GqaGen.Tests.Runtime.ValidationFixture;

namespace GqaGen.Tests.Runtime;

/// <summary>The generated and generic AppendKv reject bad arguments with exceptions that say what was wrong.</summary>
public sealed class AppendKvValidationTests
{
    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Position_at_capacity_is_rejected_naming_the_capacity(string appender)
    {
        using KvCache cache = NewCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Append(appender, cache, 0, Capacity, KvRow(), KvRow()));
        Assert.Equal("position", ex.ParamName);
        Assert.Contains($"capacity {Capacity}", ex.Message);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Position_past_capacity_is_rejected_naming_position_and_capacity(string appender)
    {
        using KvCache cache = NewCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Append(appender, cache, 0, Capacity + 5, KvRow(), KvRow()));
        Assert.Equal("position", ex.ParamName);
        Assert.Contains($"{Capacity + 5}", ex.Message);
        Assert.Contains($"{Capacity}", ex.Message.Replace($"{Capacity + 5}", ""));
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Negative_position_is_rejected(string appender)
    {
        using KvCache cache = NewCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Append(appender, cache, 0, -1, KvRow(), KvRow()));
        Assert.Equal("position", ex.ParamName);
    }

    [Theory]
    [InlineData(EntryPoints.Generated, "key", 287)]
    [InlineData(EntryPoints.Generated, "key", 289)]
    [InlineData(EntryPoints.Generated, "value", 0)]
    [InlineData(EntryPoints.Generated, "value", 96)]
    [InlineData(EntryPoints.Generic, "key", 287)]
    [InlineData(EntryPoints.Generic, "value", 289)]
    public void Row_of_wrong_length_is_rejected_naming_expected_and_actual_counts(string appender, string row, int length)
    {
        using KvCache cache = NewCache();
        float[] key = row == "key" ? new float[length] : KvRow();
        float[] value = row == "value" ? new float[length] : KvRow();

        var ex = Assert.Throws<ArgumentException>(() => Append(appender, cache, 0, 0, key, value));

        Assert.Equal(row, ex.ParamName);
        Assert.Contains($"{length} elements", ex.Message);
        Assert.Contains($"{Shape.KvLength}", ex.Message);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Rejected_append_writes_nothing(string appender)
    {
        // The key is valid and the value is not: checking must finish before anything is copied.
        using KvCache cache = NewCache();
        Assert.Throws<ArgumentException>(() => Append(appender, cache, 1, 3, KvRow(7f), new float[Shape.KvLength - 1]));
        Assert.All(cache.Keys(1).ToArray(), k => Assert.Equal(0f, k));
    }

    [Theory]
    [InlineData(EntryPoints.Generated, -1)]
    [InlineData(EntryPoints.Generated, Layers)]
    [InlineData(EntryPoints.Generic, -1)]
    [InlineData(EntryPoints.Generic, Layers)]
    public void Layer_outside_the_cache_is_rejected(string appender, int layer)
    {
        using KvCache cache = NewCache();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Append(appender, cache, layer, 0, KvRow(), KvRow()));
        Assert.Equal("layer", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Cache_of_another_shape_is_rejected(string appender)
    {
        // Same K/V row length (G·d = 288) but another layout: the shape, not the span lengths, must be compared.
        using var cache = new KvCache(new GqaShape(6, 6, 48), Layers, Capacity);
        var ex = Assert.Throws<ArgumentException>(() => Append(appender, cache, 0, 0, KvRow(), KvRow()));
        Assert.Equal("cache", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Null_cache_is_rejected(string appender)
        => Assert.Throws<ArgumentNullException>(() => Append(appender, null!, 0, 0, KvRow(), KvRow()));

    [Theory]
    [MemberData(nameof(EntryPoints.Appenders), MemberType = typeof(EntryPoints))]
    public void Disposed_cache_is_rejected(string appender)
    {
        KvCache cache = NewCache();
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Append(appender, cache, 0, 0, KvRow(), KvRow()));
    }

    private static void Append(string appender, KvCache cache, int layer, int position, float[] key, float[] value)
        => EntryPoints.Appender(appender, Layout)(cache, layer, position, key, value);
}
