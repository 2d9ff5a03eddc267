using GqaGen.Tests.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// AppendKv writes exactly the rows it should, for every layout: the generated row copy uses overlapping vector
/// stores for head dimensions that are not a whole number of vectors, so a wrong offset would spill into the
/// neighbouring row.
/// </summary>
public sealed class AppendKvPlacementTests
{
    private const int Layers = 3;
    private const int Capacity = 6;

    public static TheoryData<string, string> LayoutsAndAppenders()
    {
        var data = new TheoryData<string, string>();
        foreach (string layout in LayoutCatalog.Names)
            foreach (string appender in new[] { EntryPoints.Generated, EntryPoints.Generic })
                data.Add(layout, appender);
        return data;
    }

    [Theory]
    [MemberData(nameof(LayoutsAndAppenders))]
    public void Append_writes_only_its_rows(string layoutName, string appender)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        AppendFunction append = EntryPoints.Appender(appender, layout);
        using var cache = new KvCache(shape, Layers, Capacity);
        float[] key = Sequence(shape.KvLength, 1);
        float[] value = Sequence(shape.KvLength, -1);

        // The last position of the last layer (rows that end their group's block, and the allocation's last row)
        // and an inner position whose neighbours on both sides are zero.
        append(cache, Layers - 1, Capacity - 1, key, value);
        append(cache, 1, 2, key, value);

        for (int layer = 0; layer < Layers; layer++)
        {
            AssertRegion(cache, shape, cache.Keys(layer), layer, key, "keys");
            AssertRegion(cache, shape, cache.Values(layer), layer, value, "values");
        }
    }

    [Theory]
    [MemberData(nameof(KernelCases.LayoutNames), MemberType = typeof(KernelCases))]
    public void Generated_and_generic_append_fill_identical_caches(string layoutName)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        using var generated = new KvCache(layout.Shape, 2, Capacity);
        using var generic = new KvCache(layout.Shape, 2, Capacity);
        for (int p = 0; p < Capacity; p++)
        {
            float[] key = Sequence(layout.Shape.KvLength, 1000 * p + 1);
            float[] value = Sequence(layout.Shape.KvLength, -1000 * p - 1);
            layout.AppendKv(generated, p % 2, p, key, value);
            layout.GenericAppendKv(generic, p % 2, p, key, value);
        }
        for (int layer = 0; layer < 2; layer++)
        {
            Assert.Equal(generic.Keys(layer).ToArray(), generated.Keys(layer).ToArray());
            Assert.Equal(generic.Values(layer).ToArray(), generated.Values(layer).ToArray());
        }
    }

    private static void AssertRegion(KvCache cache, GqaShape shape, Span<float> region, int layer, float[] written, string what)
    {
        int d = shape.HeadDim;
        for (int g = 0; g < shape.KvGroups; g++)
        {
            for (int p = 0; p < Capacity; p++)
            {
                bool wasWritten = (layer, p) is (Layers - 1, Capacity - 1) or (1, 2);
                Span<float> row = region.Slice(cache.RowOffset(g, p), d);
                for (int i = 0; i < d; i++)
                {
                    float expected = wasWritten ? written[g * d + i] : 0f;
                    Assert.True(expected == row[i], $"{what} of layer {layer}, group {g}, position {p}, element {i}: expected {expected}, found {row[i]}.");
                }
            }
        }
    }

    /// <summary>Distinct non-zero values (start, start + sign, …), so a row copied to the wrong place or shifted shows.</summary>
    private static float[] Sequence(int length, int start)
        => Enumerable.Range(0, length).Select(i => (float)(start + Math.Sign(start) * i)).ToArray();
}
