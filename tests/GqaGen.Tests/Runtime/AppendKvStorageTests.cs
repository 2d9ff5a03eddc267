using GqaGen.Tests.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Runtime;

/// <summary>
/// Every append entry point (generated, generic, and both <see cref="GqaAttention"/> bindings) stores, for every
/// storage type, with and without a window, exactly the bytes <see cref="KvCache.Write"/> stores: same encoding,
/// same slot (a ring wraps), nothing else touched. Category Kernel: the generated append uses vector moves chosen
/// by ISA.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class AppendKvStorageTests
{
    private const int Layers = 2;

    /// <summary>Positions written: past a window of 7 (wrapping twice) and short of the capacity.</summary>
    private const int Written = 20;

    private const int Capacity = 23;

    public static TheoryData<string, KvElementType, int, string> Cases()
    {
        var data = new TheoryData<string, KvElementType, int, string>();
        foreach (string appender in new[] { EntryPoints.Generated, EntryPoints.Generic, EntryPoints.GeneratedBinding, EntryPoints.GenericBinding })
            foreach (KvElementType type in Enum.GetValues<KvElementType>())
                foreach (int window in new[] { 0, 7 })
                    foreach (string layout in StorageCases.Layouts)
                        data.Add(appender, type, window, layout);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Append_stores_what_KvCache_Write_stores(string appender, KvElementType type, int window, string layoutName)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        AppendFunction append = EntryPoints.Appender(appender, layout);
        using var appended = new KvCache(layout.Shape, Layers, Capacity, type, window);
        using var written = new KvCache(layout.Shape, Layers, Capacity, type, window);
        var random = new Random(CaseSeed.For(nameof(Append_stores_what_KvCache_Write_stores), appender, type, window, layoutName));
        for (int p = 0; p < Written; p++)
        {
            float[] key = Row(random, layout.Shape.KvLength), value = Row(random, layout.Shape.KvLength);
            int layer = p % 3 == 0 ? 0 : 1;
            append(appended, layer, p, key, value);
            written.Write(layer, p, key, value);
        }

        string context = $"{appender} AppendKv, {layout}, {type} cache, window {window} ({appended.Slots} slots)";
        for (int layer = 0; layer < Layers; layer++)
        {
            AssertSameBytes(written.KeyBytes(layer), appended.KeyBytes(layer), appended, $"{context}: layer {layer} keys");
            AssertSameBytes(written.ValueBytes(layer), appended.ValueBytes(layer), appended, $"{context}: layer {layer} values");
        }
    }

    private static float[] Row(Random random, int length)
    {
        var row = new float[length];
        for (int i = 0; i < length; i++)
            row[i] = 4 * random.NextSingle() - 2;
        return row;
    }

    private static void AssertSameBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, KvCache cache, string context)
    {
        int at = expected.CommonPrefixLength(actual);
        if (at == expected.Length && actual.Length == expected.Length)
            return;
        int row = at / cache.RowBytes;
        Assert.Fail($"{context}: byte {at} (group {row / cache.Slots}, slot {row % cache.Slots}, byte {at % cache.RowBytes} of the row) is "
            + $"{(at < actual.Length ? $"0x{actual[at]:X2}" : "missing")}; KvCache.Write stores {(at < expected.Length ? $"0x{expected[at]:X2}" : "nothing")}.");
    }
}
