using System.Runtime.InteropServices;
using GqaGen.Kernels;
using GqaGen.Tests.Support;

namespace GqaGen.Tests.Kernels;

/// <summary>
/// Each generated per-path method against the generic kernel's method for the same path, on the same fresh random
/// inputs: the two share the algorithm (blocks, tiles, online softmax) and differ only in what the generator fixes at
/// compile time, so they must agree far more closely than either agrees with the naive reference.
/// </summary>
[Trait("Category", "Kernel")]
public sealed class GeneratedMatchesGenericTests
{
    /// <summary>Allowed normwise relative difference per head (max|a − b| / max|b| over its d outputs).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Lengths on both sides of the block sizes the plans use (16, 32 and 64 positions) and past two blocks.</summary>
    private static readonly int[] BoundaryLengths = [32, 33, 64, 65, 127, 128, 129];

    /// <summary>Every layout, every path it emits, every boundary length; uniform inputs from the start of a layer and
    /// from an unaligned offset. Large-logit inputs are left to the reference tests: there a one-ulp difference in a
    /// score of about 60 moves the softmax by more than this tolerance, which measures the kernels, not the inputs.</summary>
    public static TheoryData<string, GqaKernelPath, int, InputVariant> Cases()
    {
        var data = new TheoryData<string, GqaKernelPath, int, InputVariant>();
        foreach (LayoutKernel layout in LayoutCatalog.All)
            foreach (GqaKernelPath path in layout.Paths.Keys.Order())
                foreach (int length in BoundaryLengths)
                    foreach (InputVariant variant in new[] { InputVariant.Uniform, InputVariant.OffsetRange })
                        data.Add(layout.Name, path, length, variant);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_path_matches_the_generic_kernel_on_the_same_path(string layoutName, GqaKernelPath path, int length, InputVariant variant)
    {
        LayoutKernel layout = LayoutCatalog.Get(layoutName);
        GqaShape shape = layout.Shape;
        using DecodeScenario scenario = DecodeScenario.Create(shape, length, variant, layout.AppendKv, CaseSeed.For("GeneratedMatchesGeneric", layoutName, path, length, variant));
        string context = $"path {path}, {layout}, length {length}, {variant}, positions {scenario.Positions}";
        ReadOnlySpan<float> keys = scenario.Cache.Keys(scenario.Layer);
        ReadOnlySpan<float> values = scenario.Cache.Values(scenario.Layer);
        int capacity = scenario.Cache.Capacity;

        var generated = new GuardedBuffer(shape.QueryLength);
        var generatedLogSumExp = new GuardedBuffer(shape.Heads);
        layout.Paths[path](scenario.Query, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), capacity, scenario.Positions, generated.Inner, generatedLogSumExp.Inner, streaming: true);

        var generic = new GuardedBuffer(shape.QueryLength);
        var genericLogSumExp = new GuardedBuffer(shape.Heads);
        var args = new GenericGqaKernel.DecodeArgs(shape, scenario.Query, MemoryMarshal.AsBytes(keys), MemoryMarshal.AsBytes(values), capacity, scenario.Positions,
            generic.Inner, genericLogSumExp.Inner, streaming: true);
        switch (path)
        {
            case GqaKernelPath.Avx512: GenericGqaKernel.DecodeVector512<Float32Rows>(args); break;
            case GqaKernelPath.Avx2: GenericGqaKernel.DecodeVector256<Float32Rows>(args); break;
            default: GenericGqaKernel.DecodeScalar<Float32Rows>(args); break;
        }

        foreach ((GuardedBuffer buffer, string name) in new[] { (generated, "generated output"), (generatedLogSumExp, "generated logSumExp"), (generic, "generic output"), (genericLogSumExp, "generic logSumExp") })
            buffer.AssertMarginsUntouched($"{context}: {name}");
        // The buffers start poisoned with NaN, so an element a kernel never wrote fails the finiteness checks (the
        // generated ones inside MatchesReference).
        AttentionAssert.AssertFinite(generic.Inner, "generic output", shape.HeadDim, context);
        AttentionAssert.AssertFinite(genericLogSumExp.Inner, "generic logSumExp", 1, context);
        AttentionAssert.MatchesReference(shape, generic.Inner, genericLogSumExp.Inner, generated.Inner, generatedLogSumExp.Inner, context,
            Tolerance, "the generic kernel");
    }
}
