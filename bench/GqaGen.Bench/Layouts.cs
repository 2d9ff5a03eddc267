namespace GqaGen.Bench;

/// <summary>Llama 3 8B: 32 query heads, 8 K/V heads, head_dim 4096 / 32 = 128 (meta-llama/Meta-Llama-3-8B config.json).</summary>
[GqaLayout(Heads = 32, KvGroups = 8, HeadDim = 128)]
public partial struct Llama3_8B;

/// <summary>TinyLlama 1.1B: 32 heads, 4 K/V heads of 64 (TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json); the decoder benchmark's model shape.</summary>
[GqaLayout(Heads = 32, KvGroups = 4, HeadDim = 64)]
public partial struct TinyLlama_1_1B;

/// <summary>The samples' built-in tiny model (SyntheticLlamaSpec.BuiltIn): 8 heads, 2 K/V heads of 32.</summary>
[GqaLayout(Heads = 8, KvGroups = 2, HeadDim = 32)]
public partial struct BuiltInTinyModel;

/// <summary>The layouts the peer decode benchmarks run, as a <c>[Params]</c> value.</summary>
public enum BenchLayout
{
    /// <summary><see cref="GqaGen.Bench.Llama3_8B"/>: H = 32, G = 8, d = 128.</summary>
    Llama3_8B,

    /// <summary><see cref="TinyLlama_1_1B"/>: H = 32, G = 4, d = 64.</summary>
    TinyLlama,
}

/// <summary>The shape and the kernels of each <see cref="BenchLayout"/>.</summary>
internal static class BenchLayouts
{
    /// <summary>The attention layout of <paramref name="layout"/>.</summary>
    public static GqaShape Shape(BenchLayout layout) => layout switch
    {
        BenchLayout.Llama3_8B => Llama3_8B.Shape,
        BenchLayout.TinyLlama => TinyLlama_1_1B.Shape,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, $"Unknown layout; expected one of {string.Join(", ", Enum.GetNames<BenchLayout>())}."),
    };

    /// <summary>The kernel generated for <paramref name="layout"/>'s layout type.</summary>
    public static GqaAttention Generated(BenchLayout layout) => layout switch
    {
        BenchLayout.Llama3_8B => GqaAttention.For<Llama3_8B>(),
        BenchLayout.TinyLlama => GqaAttention.For<TinyLlama_1_1B>(),
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, $"Unknown layout; expected one of {string.Join(", ", Enum.GetNames<BenchLayout>())}."),
    };
}
