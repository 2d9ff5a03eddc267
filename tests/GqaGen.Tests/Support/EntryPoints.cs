namespace GqaGen.Tests.Support;

/// <summary>
/// The public decode and append entry points by name, so API tests run the same checks against the generated code,
/// <see cref="GenericGqaKernel"/> and <see cref="GqaReference"/> (all three promise the same argument checks).
/// </summary>
internal static class EntryPoints
{
    public const string Generated = "generated";
    public const string Generic = "generic";
    public const string Reference = "reference";

    /// <summary>The generated kernel as a decoder holds it: the <see cref="GqaAttention"/> the registry resolves for the layout.</summary>
    public const string GeneratedBinding = "generated binding";

    /// <summary>The generic kernel as a decoder holds it: <see cref="GqaAttention.Generic"/> through the registry.</summary>
    public const string GenericBinding = "generic binding";

    public static TheoryData<string> Decoders() => new(Generated, Generic, Reference);

    public static TheoryData<string> Appenders() => new(Generated, Generic);

    public static DecodeFunction Decoder(string name, LayoutKernel layout) => name switch
    {
        Generated => layout.Decode,
        Generic => layout.GenericDecode,
        Reference => (query, cache, layer, positions, output, logSumExp) => GqaReference.Decode(layout.Shape, query, cache, layer, positions, output, logSumExp),
        GeneratedBinding or GenericBinding => Binding(name, layout).Decode,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown decode entry point."),
    };

    public static AppendFunction Appender(string name, LayoutKernel layout) => name switch
    {
        Generated => layout.AppendKv,
        Generic => layout.GenericAppendKv,
        GeneratedBinding or GenericBinding => Binding(name, layout).AppendKv,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown append entry point."),
    };

    /// <summary>The <see cref="GqaAttention"/> a decoder would hold for <paramref name="layout"/>, resolved as it would
    /// resolve it; the generated one must be the registered kernel of exactly this layout.</summary>
    public static GqaAttention Binding(string name, LayoutKernel layout)
    {
        GqaAttention binding = name switch
        {
            GeneratedBinding => GqaKernelRegistry.Resolve(layout.Shape, GqaKernelChoice.Generated, out _),
            GenericBinding => GqaKernelRegistry.Resolve(layout.Shape, GqaKernelChoice.Generic, out _),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown binding."),
        };
        Assert.Equal(layout.Shape, binding.Shape);
        Assert.Equal(name == GeneratedBinding, binding.IsGenerated);
        return binding;
    }

    /// <summary>The instruction-set path the named entry point takes for <paramref name="layout"/>, for failure messages.</summary>
    public static GqaKernelPath PathOf(string name, LayoutKernel layout) => name switch
    {
        Generated => layout.ActivePath,
        GeneratedBinding or GenericBinding => Binding(name, layout).ActivePath,
        _ => GenericGqaKernel.PathFor(layout.Shape),
    };
}
