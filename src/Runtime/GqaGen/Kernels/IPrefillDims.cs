using System.ComponentModel;

namespace GqaGen.Kernels;

/// <summary>
/// A layout's head dimension and heads per group as JIT-time constants, for the tiled prefill kernel
/// (<see cref="GenericGqaKernel.PrefillTiled{TRows, TDims}"/>): the JIT compiles one copy of the kernel per struct,
/// with these numbers folded into its loop bounds, tile sizes and tail masks. The generator emits one struct per layout;
/// <see cref="RunTimeDims"/> answers 0, which the kernel reads as "take the number from the shape at run time".
/// </summary>
/// <remarks>Public because generated code in user assemblies implements it; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IPrefillDims
{
    /// <summary>d, or 0 for the run-time shape's.</summary>
    static abstract int HeadDim { get; }

    /// <summary>H/G, or 0 for the run-time shape's.</summary>
    static abstract int HeadsPerGroup { get; }
}

/// <summary>No compile-time numbers: the generic kernel's dimensions, read from the shape at run time.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct RunTimeDims : IPrefillDims
{
    /// <inheritdoc/>
    public static int HeadDim => 0;

    /// <inheritdoc/>
    public static int HeadsPerGroup => 0;
}
