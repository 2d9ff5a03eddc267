using GqaGen.Kernels;
using GqaGen.Tests.Layouts;

namespace GqaGen.Tests.Support;

/// <summary>Every layout declared in this assembly, by name.</summary>
internal static class LayoutCatalog
{
    /// <summary>All layouts, model layouts first, with their fp32 path methods. Which path methods each passes mirrors the
    /// generator's rule: Avx512 only when HeadDim ≥ 16, Avx2 only when HeadDim ≥ 8, scalar always.</summary>
    public static IReadOnlyList<LayoutKernel> All { get; } =
    [
        LayoutKernel.Of<Llama3_8B>(Llama3_8B.DecodeAvx512<Float32Rows>, Llama3_8B.DecodeAvx2<Float32Rows>, Llama3_8B.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Llama32_1B>(Llama32_1B.DecodeAvx512<Float32Rows>, Llama32_1B.DecodeAvx2<Float32Rows>, Llama32_1B.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<TinyLlama_1_1B>(TinyLlama_1_1B.DecodeAvx512<Float32Rows>, TinyLlama_1_1B.DecodeAvx2<Float32Rows>, TinyLlama_1_1B.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Qwen25_0_5B>(Qwen25_0_5B.DecodeAvx512<Float32Rows>, Qwen25_0_5B.DecodeAvx2<Float32Rows>, Qwen25_0_5B.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<SmolLM2_135M>(SmolLM2_135M.DecodeAvx512<Float32Rows>, SmolLM2_135M.DecodeAvx2<Float32Rows>, SmolLM2_135M.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Gpt2>(Gpt2.DecodeAvx512<Float32Rows>, Gpt2.DecodeAvx2<Float32Rows>, Gpt2.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Falcon7B>(Falcon7B.DecodeAvx512<Float32Rows>, Falcon7B.DecodeAvx2<Float32Rows>, Falcon7B.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads4Groups2Dim80>(Heads4Groups2Dim80.DecodeAvx512<Float32Rows>, Heads4Groups2Dim80.DecodeAvx2<Float32Rows>, Heads4Groups2Dim80.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads4Groups2Dim100>(Heads4Groups2Dim100.DecodeAvx512<Float32Rows>, Heads4Groups2Dim100.DecodeAvx2<Float32Rows>, Heads4Groups2Dim100.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads6Groups3Dim96>(Heads6Groups3Dim96.DecodeAvx512<Float32Rows>, Heads6Groups3Dim96.DecodeAvx2<Float32Rows>, Heads6Groups3Dim96.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads8Groups8Dim40>(Heads8Groups8Dim40.DecodeAvx512<Float32Rows>, Heads8Groups8Dim40.DecodeAvx2<Float32Rows>, Heads8Groups8Dim40.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads2Groups1Dim17>(Heads2Groups1Dim17.DecodeAvx512<Float32Rows>, Heads2Groups1Dim17.DecodeAvx2<Float32Rows>, Heads2Groups1Dim17.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads1Groups1Dim1>(null, null, Heads1Groups1Dim1.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads1Groups1Dim512>(Heads1Groups1Dim512.DecodeAvx512<Float32Rows>, Heads1Groups1Dim512.DecodeAvx2<Float32Rows>, Heads1Groups1Dim512.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads24Groups2Dim16>(Heads24Groups2Dim16.DecodeAvx512<Float32Rows>, Heads24Groups2Dim16.DecodeAvx2<Float32Rows>, Heads24Groups2Dim16.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads24Groups1Dim64>(Heads24Groups1Dim64.DecodeAvx512<Float32Rows>, Heads24Groups1Dim64.DecodeAvx2<Float32Rows>, Heads24Groups1Dim64.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads32Groups1Dim32>(Heads32Groups1Dim32.DecodeAvx512<Float32Rows>, Heads32Groups1Dim32.DecodeAvx2<Float32Rows>, Heads32Groups1Dim32.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads3Groups1Dim8>(null, Heads3Groups1Dim8.DecodeAvx2<Float32Rows>, Heads3Groups1Dim8.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads2Groups2Dim15>(null, Heads2Groups2Dim15.DecodeAvx2<Float32Rows>, Heads2Groups2Dim15.DecodeScalar<Float32Rows>),
        LayoutKernel.Of<Heads4Groups1Dim7>(null, null, Heads4Groups1Dim7.DecodeScalar<Float32Rows>),
    ];

    /// <summary>Layouts generated for a sliding window (Layouts/WindowLayouts.cs): their kernels take only caches of that
    /// window, so they are not in <see cref="All"/>, whose tests use plain caches.</summary>
    public static IReadOnlyList<(LayoutKernel Layout, int Window)> Windowed { get; } =
    [
        (LayoutKernel.Of<Window16Heads8Groups2Dim64>(Window16Heads8Groups2Dim64.DecodeAvx512<Float32Rows>, Window16Heads8Groups2Dim64.DecodeAvx2<Float32Rows>, Window16Heads8Groups2Dim64.DecodeScalar<Float32Rows>), 16),
        (LayoutKernel.Of<Window33Heads6Groups2Dim40>(Window33Heads6Groups2Dim40.DecodeAvx512<Float32Rows>, Window33Heads6Groups2Dim40.DecodeAvx2<Float32Rows>, Window33Heads6Groups2Dim40.DecodeScalar<Float32Rows>), 33),
    ];

    private static readonly Dictionary<string, LayoutKernel> ByName = All.Concat(Windowed.Select(w => w.Layout)).ToDictionary(layout => layout.Name);

    /// <summary>The layout declared as <paramref name="name"/>, windowed or not.</summary>
    public static LayoutKernel Get(string name) => ByName[name];

    /// <summary>Names of all layouts, for theory data.</summary>
    public static IEnumerable<string> Names => All.Select(layout => layout.Name);
}
