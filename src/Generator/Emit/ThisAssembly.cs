namespace GqaGen.Generator.Emit;

/// <summary>The generator's version, stamped into [GeneratedCode] on every emitted type.</summary>
internal static class ThisAssembly
{
    public static readonly string Version = typeof(ThisAssembly).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";
}
