using GqaGen.Tests.Layouts;

namespace GqaGen.Tests.Support;

/// <summary>Every layout declared in this assembly, by name.</summary>
internal static class LayoutCatalog
{
    /// <summary>All layouts, model layouts first. Which path methods each passes mirrors the generator's rule:
    /// Avx512 only when HeadDim ≥ 16, Avx2 only when HeadDim ≥ 8, scalar always.</summary>
    public static IReadOnlyList<LayoutKernel> All { get; } =
    [
        LayoutKernel.Of<Llama3_8B>(Llama3_8B.DecodeAvx512, Llama3_8B.DecodeAvx2, Llama3_8B.DecodeScalar),
        LayoutKernel.Of<Llama32_1B>(Llama32_1B.DecodeAvx512, Llama32_1B.DecodeAvx2, Llama32_1B.DecodeScalar),
        LayoutKernel.Of<TinyLlama_1_1B>(TinyLlama_1_1B.DecodeAvx512, TinyLlama_1_1B.DecodeAvx2, TinyLlama_1_1B.DecodeScalar),
        LayoutKernel.Of<Qwen25_0_5B>(Qwen25_0_5B.DecodeAvx512, Qwen25_0_5B.DecodeAvx2, Qwen25_0_5B.DecodeScalar),
        LayoutKernel.Of<SmolLM2_135M>(SmolLM2_135M.DecodeAvx512, SmolLM2_135M.DecodeAvx2, SmolLM2_135M.DecodeScalar),
        LayoutKernel.Of<Gpt2>(Gpt2.DecodeAvx512, Gpt2.DecodeAvx2, Gpt2.DecodeScalar),
        LayoutKernel.Of<Falcon7B>(Falcon7B.DecodeAvx512, Falcon7B.DecodeAvx2, Falcon7B.DecodeScalar),
        LayoutKernel.Of<Heads4Groups2Dim80>(Heads4Groups2Dim80.DecodeAvx512, Heads4Groups2Dim80.DecodeAvx2, Heads4Groups2Dim80.DecodeScalar),
        LayoutKernel.Of<Heads4Groups2Dim100>(Heads4Groups2Dim100.DecodeAvx512, Heads4Groups2Dim100.DecodeAvx2, Heads4Groups2Dim100.DecodeScalar),
        LayoutKernel.Of<Heads6Groups3Dim96>(Heads6Groups3Dim96.DecodeAvx512, Heads6Groups3Dim96.DecodeAvx2, Heads6Groups3Dim96.DecodeScalar),
        LayoutKernel.Of<Heads8Groups8Dim40>(Heads8Groups8Dim40.DecodeAvx512, Heads8Groups8Dim40.DecodeAvx2, Heads8Groups8Dim40.DecodeScalar),
        LayoutKernel.Of<Heads2Groups1Dim17>(Heads2Groups1Dim17.DecodeAvx512, Heads2Groups1Dim17.DecodeAvx2, Heads2Groups1Dim17.DecodeScalar),
        LayoutKernel.Of<Heads1Groups1Dim1>(null, null, Heads1Groups1Dim1.DecodeScalar),
        LayoutKernel.Of<Heads1Groups1Dim512>(Heads1Groups1Dim512.DecodeAvx512, Heads1Groups1Dim512.DecodeAvx2, Heads1Groups1Dim512.DecodeScalar),
        LayoutKernel.Of<Heads3Groups1Dim8>(null, Heads3Groups1Dim8.DecodeAvx2, Heads3Groups1Dim8.DecodeScalar),
        LayoutKernel.Of<Heads2Groups2Dim15>(null, Heads2Groups2Dim15.DecodeAvx2, Heads2Groups2Dim15.DecodeScalar),
        LayoutKernel.Of<Heads4Groups1Dim7>(null, null, Heads4Groups1Dim7.DecodeScalar),
    ];

    /// <summary>Layouts generated for a sliding window (Layouts/WindowLayouts.cs): their kernels take only caches of that
    /// window, so they are not in <see cref="All"/>, whose tests use plain caches.</summary>
    public static IReadOnlyList<(LayoutKernel Layout, int Window)> Windowed { get; } =
    [
        (LayoutKernel.Of<Window16Heads8Groups2Dim64>(Window16Heads8Groups2Dim64.DecodeAvx512, Window16Heads8Groups2Dim64.DecodeAvx2, Window16Heads8Groups2Dim64.DecodeScalar), 16),
        (LayoutKernel.Of<Window33Heads6Groups2Dim40>(Window33Heads6Groups2Dim40.DecodeAvx512, Window33Heads6Groups2Dim40.DecodeAvx2, Window33Heads6Groups2Dim40.DecodeScalar), 33),
    ];

    private static readonly Dictionary<string, LayoutKernel> ByName = All.Concat(Windowed.Select(w => w.Layout)).ToDictionary(layout => layout.Name);

    /// <summary>The layout declared as <paramref name="name"/>, windowed or not.</summary>
    public static LayoutKernel Get(string name) => ByName[name];

    /// <summary>Names of all layouts, for theory data.</summary>
    public static IEnumerable<string> Names => All.Select(layout => layout.Name);
}
