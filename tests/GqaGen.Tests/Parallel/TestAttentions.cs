using GqaGen.Tests.Support;

namespace GqaGen.Tests.Parallel;

/// <summary>
/// <see cref="GqaReference"/> bound as a <see cref="GqaAttention"/>, so that split decoding can run over the kernel that
/// already applies sliding windows and reads ring caches (the generated and generic kernels will, once that work lands).
/// </summary>
internal sealed class ReferenceAttention(GqaShape shape) : GqaAttention(shape)
{
    public override string Name => "reference";

    public override bool IsGenerated => false;

    public override GqaKernelPath ActivePath => GqaKernelPath.Scalar;

    public override KvElementTypes KvElementTypes => KvElementTypes.All;

    public override int SlidingWindow => 0;

    public override void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
        => cache.Write(layer, position, key, value);

    public override void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default)
        => GqaReference.Decode(Shape, query, cache, layer, positions, output, logSumExp);

    public override void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool = null)
        => GqaReference.Prefill(Shape, queries, cache, layer, firstPosition, count, output);
}

/// <summary>
/// Another binding with a hook called, on the thread that runs it, before each of its decode calls: split decoding
/// makes one call per chunk, so the hook sees every chunk's range (and may throw, to test that a chunk's exception
/// reaches the caller). The hook must be thread-safe.
/// </summary>
internal sealed class ObservedAttention(GqaAttention inner, Action<KvRange> beforeDecode) : GqaAttention(inner.Shape)
{
    public override string Name => inner.Name;

    public override bool IsGenerated => inner.IsGenerated;

    public override GqaKernelPath ActivePath => inner.ActivePath;

    public override KvElementTypes KvElementTypes => inner.KvElementTypes;

    public override int SlidingWindow => inner.SlidingWindow;

    public override void AppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
        => inner.AppendKv(cache, layer, position, key, value);

    public override void Decode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp = default)
    {
        beforeDecode(positions);
        inner.Decode(query, cache, layer, positions, output, logSumExp);
    }

    public override void Prefill(ReadOnlySpan<float> queries, KvCache cache, int layer, int firstPosition, int count, Span<float> output, ComputePool? pool = null)
        => inner.Prefill(queries, cache, layer, firstPosition, count, output, pool);
}

/// <summary>The bindings split decoding is tested over, by name (serializable theory data).</summary>
internal static class SplitBindings
{
    /// <summary>The generated kernel of <paramref name="layout"/> or the generic kernel for its shape.</summary>
    public static GqaAttention For(string decoder, LayoutKernel layout) => decoder switch
    {
        EntryPoints.Generated => (GqaAttention)typeof(GqaAttention).GetMethod(nameof(GqaAttention.For))!.MakeGenericMethod(layout.Type).Invoke(null, null)!,
        EntryPoints.Generic => GqaAttention.Generic(layout.Shape),
        EntryPoints.Reference => new ReferenceAttention(layout.Shape),
        _ => throw new ArgumentOutOfRangeException(nameof(decoder), decoder, "Unknown decoder."),
    };
}
