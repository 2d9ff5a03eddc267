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

    public static TheoryData<string> Decoders() => new(Generated, Generic, Reference);

    public static TheoryData<string> Appenders() => new(Generated, Generic);

    public static DecodeFunction Decoder(string name, LayoutKernel layout) => name switch
    {
        Generated => layout.Decode,
        Generic => layout.GenericDecode,
        Reference => (query, cache, layer, positions, output, logSumExp) => GqaReference.Decode(layout.Shape, query, cache, layer, positions, output, logSumExp),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown decode entry point."),
    };

    public static AppendFunction Appender(string name, LayoutKernel layout) => name switch
    {
        Generated => layout.AppendKv,
        Generic => layout.GenericAppendKv,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown append entry point."),
    };
}
