using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Theory data for the storage × window decode tests: every storage type × window off and on × the layouts below ×
/// ranges chosen at the boundaries that matter, rather than a full cross product (which would take minutes on the
/// CI machine's two cores, under each of its four ISA settings).
/// </summary>
public static class StorageCases
{
    /// <summary>
    /// The sample models' layouts (d = 128 with 4 heads per group, d = 64 with 8 and with 7, multi-query with 71 heads)
    /// and the odd ones: d = 96 (3 whole q8_0 blocks), 100 (the overlapping last vector straddles two q8_0 blocks on
    /// both vector paths), 40 (the last Vector512 straddles blocks 0 and 1), 17 and 15 (one partial block, vector plus
    /// tail), 7 and 1 (scalar only).
    /// </summary>
    public static readonly string[] Layouts =
    [
        nameof(Llama3_8B), nameof(TinyLlama_1_1B), nameof(Qwen25_0_5B), nameof(Falcon7B),
        nameof(Heads6Groups3Dim96), nameof(Heads4Groups2Dim100), nameof(Heads8Groups8Dim40),
        nameof(Heads2Groups1Dim17), nameof(Heads2Groups2Dim15), nameof(Heads4Groups1Dim7), nameof(Heads1Groups1Dim1),
    ];

    /// <summary>
    /// (window, start, count) of the decoded range [start, start + count). A range not starting at 0 decodes layer 1.
    /// Tiles are 16 positions on Avx512 and 8 on Avx2; blocks (<c>BlockPositions</c>) are 32 positions for d = 128 and
    /// 64 for d ≤ 64; a ring holds min(W, capacity) slots with capacity = end + 5.
    /// </summary>
    public static readonly (int Window, int Start, int Count)[] Ranges =
    [
        // No window: one position; tile and block edges on either side; a long range with a partial last block.
        (0, 0, 1), (0, 13, 16), (0, 0, 17), (0, 13, 32), (0, 0, 33), (0, 0, 64), (0, 13, 65), (0, 0, 129),
        // W = 7 (under one tile): exactly the window, not wrapped; one past it (position 7 in slot 0); a ring that
        // wrapped four times; a range shorter than the window after wrapping, split across slots 5–6 and 0–2.
        (7, 0, 7), (7, 0, 8), (7, 13, 23), (7, 40, 5),
        // W = 16 (one Avx512 tile): exactly; wrapped and split (slots 14–15, 0–13); a full ring; short and split.
        (16, 0, 16), (16, 13, 17), (16, 0, 40), (16, 40, 10),
        // W = 33 (one past a q8_0 block's worth and a d = 128 block): exactly; wrapped; full after 100; short and split.
        (33, 0, 33), (33, 13, 34), (33, 0, 100), (33, 50, 20),
        // W = 100: capacity 70 below the window (70 slots, no clamping); one past the window; a long range wrapped
        // twice; a short range split at slot 99/0 after wrapping.
        (100, 0, 65), (100, 0, 101), (100, 13, 250), (100, 180, 37),
    ];

    /// <summary>Every storage type × <see cref="Layouts"/> × <see cref="Ranges"/>, and every storage type × the layouts
    /// generated for a window (<see cref="LayoutCatalog.Windowed"/>) × the ranges of that window: (type, window, layout,
    /// start, count).</summary>
    public static TheoryData<KvElementType, int, string, int, int> Matrix()
    {
        var data = new TheoryData<KvElementType, int, string, int, int>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
        {
            foreach (string layout in Layouts)
                foreach (var (window, start, count) in Ranges)
                    data.Add(type, window, layout, start, count);
            foreach (var (layout, layoutWindow) in LayoutCatalog.Windowed)
                foreach (var (window, start, count) in Ranges.Where(r => r.Window == layoutWindow))
                    data.Add(type, window, layout.Name, start, count);
        }
        return data;
    }

    /// <summary>The bindings a decoder holds (<see cref="GqaAttention"/>), on one windowless and one wrapped, split range
    /// per type and layout: they forward to the kernels the matrix checks, so this checks the forwarding.</summary>
    public static TheoryData<string, KvElementType, int, string, int, int> Bindings()
    {
        var data = new TheoryData<string, KvElementType, int, string, int, int>();
        foreach (string binding in new[] { EntryPoints.GeneratedBinding, EntryPoints.GenericBinding })
            foreach (KvElementType type in Enum.GetValues<KvElementType>())
                foreach (string layout in Layouts)
                {
                    data.Add(binding, type, 0, layout, 0, 33);
                    data.Add(binding, type, 16, layout, 40, 10);
                }
        return data;
    }

    /// <summary>Large logits (raw |q·k| near 60: a peaked softmax and large running-max rescales) on rounded keys, for the
    /// wide heads, where the Float16 poison rows still carry weight (see <see cref="StorageScenario"/>): (type, window,
    /// layout, start, count).</summary>
    public static TheoryData<KvElementType, int, string, int, int> LargeLogits()
    {
        var data = new TheoryData<KvElementType, int, string, int, int>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
            foreach (string layout in new[] { nameof(Llama3_8B), nameof(Qwen25_0_5B), nameof(Falcon7B), nameof(Heads4Groups2Dim100) })
            {
                data.Add(type, 0, layout, 13, 65);
                data.Add(type, 33, layout, 13, 34);
            }
        return data;
    }
}
