using GqaGen.Kernels;
using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Caches of 16 MiB or more make the public Decode prefetch (<see cref="GqaSimd.ShouldPrefetch(KvCache)"/>); the other
/// kernel tests use small caches, so this runs the generated and generic kernels through that branch on one.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class PrefetchingCacheTests
{
    [Theory]
    [InlineData(0, 2100)]
    [InlineData(5, 1000)]    // a range that starts inside the cache and ends short of its capacity
    [InlineData(100, 2100)]
    public void LargeCache_GeneratedAndGeneric_MatchTheReference(int start, int end)
    {
        GqaShape shape = Llama3_8B.Shape;
        using var cache = new KvCache(shape, layers: 1, capacity: 2100); // 2 · 8 · 128 · 2,100 · 4 B = 17.2 MB
        Assert.True(GqaSimd.ShouldPrefetch(cache), $"The cache is {cache.SizeInBytes:N0} bytes; this test needs one that prefetches.");

        var random = new Random(start * 7919 + end);
        float[] row = new float[shape.KvLength];
        float[] other = new float[shape.KvLength];
        for (int p = 0; p < cache.Capacity; p++)
        {
            Fill(random, row);
            Fill(random, other);
            Llama3_8B.AppendKv(cache, 0, p, row, other);
        }
        float[] query = new float[shape.QueryLength];
        Fill(random, query, scale: 3f);
        var positions = new KvRange(start, end);

        float[] expected = new float[shape.QueryLength], expectedLse = new float[shape.Heads];
        GqaReference.Decode(shape, query, cache, 0, positions, expected, expectedLse);
        float[] generated = Poisoned(shape.QueryLength), generatedLse = Poisoned(shape.Heads);
        Llama3_8B.Decode(query, cache, 0, positions, generated, generatedLse);
        float[] generic = Poisoned(shape.QueryLength), genericLse = Poisoned(shape.Heads);
        GenericGqaKernel.Decode(shape, query, cache, 0, positions, generic, genericLse);

        AttentionAssert.MatchesReference(shape, expected, expectedLse, generated, generatedLse, $"generated, {positions}");
        AttentionAssert.MatchesReference(shape, expected, expectedLse, generic, genericLse, $"generic, {positions}");
    }

    private static void Fill(Random random, float[] values, float scale = 1f)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
    }

    private static float[] Poisoned(int length) => Enumerable.Repeat(float.NaN, length).ToArray();
}
