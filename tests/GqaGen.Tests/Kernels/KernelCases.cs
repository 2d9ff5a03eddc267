using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>Theory data for the kernel tests.</summary>
public static class KernelCases
{
    /// <summary>
    /// Lengths around the tile sizes (8 and 16 positions) and the partial-tile boundaries, a long one and one just past
    /// a power of two (a partial last tile after many whole ones).
    /// </summary>
    public static readonly int[] Lengths = [1, 2, 15, 16, 17, 100, 1023, 4097];

    /// <summary>Shorter lengths for the per-path tests, which may run Vector512 code in software.</summary>
    public static readonly int[] PathLengths = [1, 16, 17, 100];

    /// <summary>
    /// Lengths on either side of 32, 64 and 128 positions (two, four and eight whole 16-position tiles), where a kernel
    /// that blocks or unrolls over tiles switches from whole blocks to a remainder. Run on
    /// <see cref="BoundaryLayouts"/> and <see cref="BoundaryPathLayouts"/> only, with the uniform and offset-range
    /// inputs (the large-logit inputs test the softmax, not the loop bounds), to keep the kernel run short.
    /// </summary>
    public static readonly int[] BoundaryLengths = [32, 33, 64, 65, 127, 128, 129];

    /// <summary>The inputs the boundary lengths run with: aligned rows, and rows offset inside a later layer.</summary>
    public static readonly InputVariant[] BoundaryVariants = [InputVariant.Uniform, InputVariant.OffsetRange];

    /// <summary>
    /// Layouts the boundary lengths run on through <c>Decode</c> (generated and generic): a wide head (d = 128, 4 heads
    /// per group), multi-head, multi-query with an odd head count, a head of 17 (vector plus scalar tail), a head of
    /// 8 (no Vector512 path) and a head of 7 (scalar only).
    /// </summary>
    public static readonly string[] BoundaryLayouts =
        ["Llama3_8B", "Gpt2", "Falcon7B", "Heads2Groups1Dim17", "Heads3Groups1Dim8", "Heads4Groups1Dim7"];

    /// <summary>Layouts the boundary lengths run on through every emitted per-path method: small heads, so that
    /// Vector512 code run in software stays quick, covering each path and a vector-plus-tail head.</summary>
    public static readonly string[] BoundaryPathLayouts =
        ["Heads8Groups8Dim40", "Heads2Groups1Dim17", "Heads3Groups1Dim8", "Heads4Groups1Dim7"];

    /// <summary>Every layout × every length × every input variant, plus the boundary layouts × the boundary lengths ×
    /// the boundary variants: (layout name, length, variant).</summary>
    public static TheoryData<string, int, InputVariant> AllLayoutsAndLengths()
    {
        var data = new TheoryData<string, int, InputVariant>();
        foreach (string layout in LayoutCatalog.Names)
            foreach (int length in Lengths)
                foreach (InputVariant variant in Enum.GetValues<InputVariant>())
                    data.Add(layout, length, variant);
        foreach (string layout in BoundaryLayouts)
            foreach (int length in BoundaryLengths)
                foreach (InputVariant variant in BoundaryVariants)
                    data.Add(LayoutCatalog.Get(layout).Name, length, variant);
        return data;
    }

    /// <summary>Every per-path method the generator emitted × the path lengths × every input variant, plus the
    /// boundary path layouts' methods × the boundary lengths × the boundary variants.</summary>
    public static TheoryData<string, GqaKernelPath, int, InputVariant> EmittedPaths()
    {
        var data = new TheoryData<string, GqaKernelPath, int, InputVariant>();
        foreach (LayoutKernel layout in LayoutCatalog.All)
            foreach (GqaKernelPath path in layout.Paths.Keys.Order())
                foreach (int length in PathLengths)
                    foreach (InputVariant variant in Enum.GetValues<InputVariant>())
                        data.Add(layout.Name, path, length, variant);
        foreach (LayoutKernel layout in BoundaryPathLayouts.Select(LayoutCatalog.Get))
            foreach (GqaKernelPath path in layout.Paths.Keys.Order())
                foreach (int length in BoundaryLengths)
                    foreach (InputVariant variant in BoundaryVariants)
                        data.Add(layout.Name, path, length, variant);
        return data;
    }

    /// <summary>Every layout's name.</summary>
    public static TheoryData<string> LayoutNames() => new(LayoutCatalog.Names);
}
