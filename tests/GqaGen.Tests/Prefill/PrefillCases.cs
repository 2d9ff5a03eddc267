using GqaGen.Tests.Kernels;
using GqaGen.Tests.Layouts;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Prefill;

/// <summary>
/// Theory data for the prefill tests: the decode tests' sample and odd layouts (<see cref="StorageCases.Layouts"/>) and
/// the layouts generated for a window, every storage type, block lengths around the tile and block edges, with and
/// without cached positions before the block, with and without a window. fp32 takes every length with and without cached
/// positions (window alternating); the other storage types take each length once, with cached positions and window
/// rotating, to keep the suite's time in bounds (the reference costs O(n · context · H · d) exponentials per case).
/// </summary>
public static class PrefillCases
{
    /// <summary>Block lengths: one and two queries, and either side of 16 and 32 (tile rows and K/V block sizes), and 100
    /// (several tiles and blocks, a partial last of each).</summary>
    public static readonly int[] Counts = [1, 2, 15, 16, 17, 31, 32, 33, 100];

    /// <summary>Positions cached before the block: none, or 37 (not a multiple of any tile or block, and past a 16-wide window).</summary>
    public static readonly int[] Cached = [0, 37];

    /// <summary>Layouts not in the decode tests' list that reach edges of the prefill lane tiles: d = 8 (on AVX-512
    /// hardware the AVX2 lane tile runs, since a head is shorter than a Vector512), d = 512 with one head per group
    /// (the largest scratch, 32 tokens per AVX-512 tile), and 12, 24 and 32 heads per group (tiles of one or two
    /// tokens whose heads spill into the second vector of lanes, partly or wholly).</summary>
    public static readonly string[] LaneEdgeLayouts =
        [nameof(Heads3Groups1Dim8), nameof(Heads1Groups1Dim512), nameof(Heads24Groups2Dim16), nameof(Heads24Groups1Dim64), nameof(Heads32Groups1Dim32)];

    /// <summary>The window used on the windowless layouts' caches: 16, one AVX-512 register tile of positions.</summary>
    public const int Window = 16;

    /// <summary>(type, layout, window, cached, count).</summary>
    public static TheoryData<KvElementType, string, int, int, int> Matrix()
    {
        var data = new TheoryData<KvElementType, string, int, int, int>();
        KvElementType[] types = Enum.GetValues<KvElementType>();
        for (int t = 0; t < types.Length; t++)
        {
            foreach (string layout in StorageCases.Layouts)
            {
                for (int c = 0; c < Counts.Length; c++)
                {
                    if (types[t] == KvElementType.Float32)
                    {
                        // Both cached-position settings for every length, each once with and once without the window
                        // (the pairing flips with the length, so every combination occurs across the lengths).
                        foreach (int cached in Cached)
                            data.Add(types[t], layout, (c + cached) % 2 == 0 ? 0 : Window, cached, Counts[c]);
                    }
                    else
                    {
                        int rotation = c + t;
                        data.Add(types[t], layout, rotation % 3 == 0 ? Window : 0, Cached[rotation / 2 % 2], Counts[c]);
                    }
                }
            }
            foreach (var (layout, window) in LayoutCatalog.Windowed)
                for (int c = 0; c < Counts.Length; c++)
                    data.Add(types[t], layout.Name, window, Cached[(c + t) % 2], Counts[c]);
            foreach (string layout in LaneEdgeLayouts)
                for (int c = 0; c < Counts.Length; c++)
                    data.Add(types[t], layout, (c + t) % 3 == 0 ? Window : 0, Cached[(c + t) % 2], Counts[c]);
        }
        return data;
    }

    /// <summary>A few cases per storage type for the thread-count and binding checks: (type, layout, window, cached,
    /// count); one of them with a window, so a ring cache whose block wraps around is split over threads too.</summary>
    public static TheoryData<KvElementType, string, int, int, int> Threads()
    {
        var data = new TheoryData<KvElementType, string, int, int, int>();
        foreach (KvElementType type in Enum.GetValues<KvElementType>())
        {
            data.Add(type, nameof(Llama3_8B), 0, 37, 33);
            data.Add(type, nameof(TinyLlama_1_1B), 0, 0, 100);
            data.Add(type, nameof(Falcon7B), 0, 37, 17);
            data.Add(type, nameof(Qwen25_0_5B), Window, 37, 100);
        }
        return data;
    }
}
