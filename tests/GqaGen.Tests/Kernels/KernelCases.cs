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

    /// <summary>Every layout × every length × every input variant: (layout name, length, variant).</summary>
    public static TheoryData<string, int, InputVariant> AllLayoutsAndLengths()
    {
        var data = new TheoryData<string, int, InputVariant>();
        foreach (string layout in LayoutCatalog.Names)
            foreach (int length in Lengths)
                foreach (InputVariant variant in Enum.GetValues<InputVariant>())
                    data.Add(layout, length, variant);
        return data;
    }

    /// <summary>Every per-path method the generator emitted × the path lengths × every input variant.</summary>
    public static TheoryData<string, GqaKernelPath, int, InputVariant> EmittedPaths()
    {
        var data = new TheoryData<string, GqaKernelPath, int, InputVariant>();
        foreach (LayoutKernel layout in LayoutCatalog.All)
            foreach (GqaKernelPath path in layout.Paths.Keys.Order())
                foreach (int length in PathLengths)
                    foreach (InputVariant variant in Enum.GetValues<InputVariant>())
                        data.Add(layout.Name, path, length, variant);
        return data;
    }

    /// <summary>Every layout's name.</summary>
    public static TheoryData<string> LayoutNames() => new(LayoutCatalog.Names);
}
