namespace GqaGen;

/// <summary>Which kernel <see cref="GqaKernelRegistry.Resolve(GqaShape, GqaKernelChoice, KvElementType, out string?)"/> picks for a layout.</summary>
public enum GqaKernelChoice
{
    /// <summary>The generated kernel when one is registered for the layout, else the generic kernel with a warning.</summary>
    Auto = 0,

    /// <summary>Only a generated kernel; no match is an error.</summary>
    Generated = 1,

    /// <summary>Always the generic kernel (for comparisons).</summary>
    Generic = 2,
}
