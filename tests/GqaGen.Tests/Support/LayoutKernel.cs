namespace GqaGen.Tests.Support;

/// <summary>
/// One generated layout seen through delegates, so theories can take the layout's name as serializable data and
/// run the same body for every layout.
/// </summary>
internal sealed class LayoutKernel
{
    private LayoutKernel(Type type, GqaShape shape, GqaKernelPath activePath, AppendFunction appendKv, DecodeFunction decode,
        IReadOnlyDictionary<GqaKernelPath, PathFunction> paths)
    {
        Type = type;
        Shape = shape;
        ActivePath = activePath;
        AppendKv = appendKv;
        Decode = decode;
        Paths = paths;
    }

    /// <summary>The annotated type the generator emitted into.</summary>
    public Type Type { get; }

    /// <summary>The type's name; theory data refers to layouts by it.</summary>
    public string Name => Type.Name;

    /// <summary>The generated <c>Shape</c>.</summary>
    public GqaShape Shape { get; }

    /// <summary>The generated <c>ActivePath</c>, read when the catalog was built (it cannot change within a process).</summary>
    public GqaKernelPath ActivePath { get; }

    /// <summary>The generated <c>AppendKv</c>.</summary>
    public AppendFunction AppendKv { get; }

    /// <summary>The generated <c>Decode</c> taking a range and log-sum-exp.</summary>
    public DecodeFunction Decode { get; }

    /// <summary>The per-path methods the generator emitted for this layout, bound at compile time.</summary>
    public IReadOnlyDictionary<GqaKernelPath, PathFunction> Paths { get; }

    /// <summary>
    /// Binds the members of <typeparamref name="TLayout"/>. The per-path methods are passed explicitly (rather than
    /// found by reflection) so that the tests stop compiling if the generator stops emitting one it should.
    /// </summary>
    public static LayoutKernel Of<TLayout>(PathFunction? avx512, PathFunction? avx2, ScalarPathFunction scalar)
        where TLayout : IGqaKernel
    {
        var paths = new Dictionary<GqaKernelPath, PathFunction>
        {
            [GqaKernelPath.Scalar] = (query, keys, values, slots, slotRange, output, logSumExp, _) => scalar(query, keys, values, slots, slotRange, output, logSumExp),
        };
        if (avx2 is not null)
            paths[GqaKernelPath.Avx2] = avx2;
        if (avx512 is not null)
            paths[GqaKernelPath.Avx512] = avx512;
        return new LayoutKernel(typeof(TLayout), TLayout.Shape, TLayout.ActivePath, TLayout.AppendKv, TLayout.Decode, paths);
    }

    /// <summary><see cref="GenericGqaKernel.Decode"/> for this layout's shape.</summary>
    public void GenericDecode(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp)
        => GenericGqaKernel.Decode(Shape, query, cache, layer, positions, output, logSumExp);

    /// <summary><see cref="GenericGqaKernel.AppendKv"/> for this layout's shape.</summary>
    public void GenericAppendKv(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
        => GenericGqaKernel.AppendKv(Shape, cache, layer, position, key, value);

    public override string ToString() => $"{Name} ({Shape})";
}
