using System;
using System.Collections.Generic;
using System.Linq;

namespace GqaGen.Generator.Model;

/// <summary>
/// The generator's copy of the runtime's <c>GqaGen.KvElementTypes</c> flags (src/Runtime/GqaGen/KvElementType.cs):
/// the generator runs inside the compiler on netstandard2.0 and cannot reference the runtime assembly.
/// SharedNumbersTests pins every flag's value and name, and every row size, to the runtime's.
/// </summary>
[Flags]
internal enum KvStorageTypes
{
    None = 0,
    Float32 = 1 << 0,
    Float16 = 1 << 1,
    BFloat16 = 1 << 2,
    Q8_0 = 1 << 3,
    All = Float32 | Float16 | BFloat16 | Q8_0,
}

/// <summary>What the emitter needs to know about each storage type: its name, its row-format struct, its row size.</summary>
internal static class KvStorage
{
    /// <summary>Elements per q8_0 block and bytes per block (a half scale, then 32 signed bytes): ggml's <c>block_q8_0</c>,
    /// as the runtime's <c>KvElementTypeExtensions.Q8_0BlockElements</c> and <c>Q8_0BlockBytes</c>.</summary>
    public const int Q8_0BlockElements = 32, Q8_0BlockBytes = 34;

    /// <summary>Every single storage type, in the runtime enum's order.</summary>
    public static IReadOnlyList<KvStorageTypes> Each { get; } = new[] { KvStorageTypes.Float32, KvStorageTypes.Float16, KvStorageTypes.BFloat16, KvStorageTypes.Q8_0 };

    /// <summary>The storage types in <paramref name="set"/>, in the runtime enum's order.</summary>
    public static IEnumerable<KvStorageTypes> In(KvStorageTypes set)
    {
        foreach (KvStorageTypes type in Each)
        {
            if ((set & type) != 0)
                yield return type;
        }
    }

    /// <summary>The member name shared by <c>KvElementType</c> and <c>KvElementTypes</c>, e.g. "Float16".</summary>
    public static string Name(KvStorageTypes type) => type switch
    {
        KvStorageTypes.Float32 => "Float32",
        KvStorageTypes.Float16 => "Float16",
        KvStorageTypes.BFloat16 => "BFloat16",
        KvStorageTypes.Q8_0 => "Q8_0",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a single storage type."),
    };

    /// <summary>The runtime's row-format struct for <paramref name="type"/> (GqaGen.Kernels), e.g. "Float16Rows".</summary>
    public static string RowsStruct(KvStorageTypes type) => Name(type) + "Rows";

    /// <summary>llama.cpp's name for the cache type (<c>-ctk</c>/<c>-ctv</c>), as the runtime's <c>KvElementType.ShortName</c>.</summary>
    public static string ShortName(KvStorageTypes type) => type switch
    {
        KvStorageTypes.Float32 => "f32",
        KvStorageTypes.Float16 => "f16",
        KvStorageTypes.BFloat16 => "bf16",
        _ => "q8_0",
    };

    /// <summary>Bytes one K or V row of <paramref name="headDim"/> elements takes (q8_0 rows are padded to whole blocks).</summary>
    public static int RowBytes(KvStorageTypes type, int headDim) => type switch
    {
        KvStorageTypes.Float32 => headDim * 4,
        KvStorageTypes.Float16 or KvStorageTypes.BFloat16 => headDim * 2,
        _ => (headDim + Q8_0BlockElements - 1) / Q8_0BlockElements * Q8_0BlockBytes,
    };

    /// <summary>"Float16 | Q8_0"-style text of a set, with each name prefixed by <paramref name="prefix"/> (e.g. "KvElementTypes.").</summary>
    public static string Describe(KvStorageTypes set, string prefix = "")
        => set == KvStorageTypes.All ? prefix + "All" : string.Join(" | ", In(set).Select(type => prefix + Name(type)));
}
