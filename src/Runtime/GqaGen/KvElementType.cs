namespace GqaGen;

/// <summary>How a <see cref="KvCache"/> stores each K and V element. Kernels read the stored form directly and widen it
/// to single precision in registers; nothing converts the whole cache.</summary>
public enum KvElementType
{
    /// <summary>IEEE 754 single precision, 4 bytes per element.</summary>
    Float32 = 0,

    /// <summary>IEEE 754 half precision, 2 bytes per element (llama.cpp's default <c>f16</c> cache). Appends round to
    /// nearest even and saturate magnitudes above 65,504.</summary>
    Float16 = 1,

    /// <summary>bfloat16 (the upper half of a single), 2 bytes per element. Appends round to nearest even.</summary>
    BFloat16 = 2,

    /// <summary>llama.cpp's <c>q8_0</c> blocks: per 32 elements of a row, one half-precision scale and 32 signed bytes
    /// (34 bytes, 8.5 bits per element), quantized as ggml's reference quantizer does. A row whose length is not a
    /// multiple of 32 is padded with zeros to whole blocks.</summary>
    Q8_0 = 3,
}

/// <summary>A set of <see cref="KvElementType"/> values, for <see cref="GqaLayoutAttribute.KvElementTypes"/>.</summary>
[Flags]
public enum KvElementTypes
{
    /// <summary>No type (not a valid choice for a layout: the generator reports GQA013).</summary>
    None = 0,

    /// <summary><see cref="KvElementType.Float32"/>.</summary>
    Float32 = 1 << KvElementType.Float32,

    /// <summary><see cref="KvElementType.Float16"/>.</summary>
    Float16 = 1 << KvElementType.Float16,

    /// <summary><see cref="KvElementType.BFloat16"/>.</summary>
    BFloat16 = 1 << KvElementType.BFloat16,

    /// <summary><see cref="KvElementType.Q8_0"/>.</summary>
    Q8_0 = 1 << KvElementType.Q8_0,

    /// <summary>Every storage type (the default).</summary>
    All = Float32 | Float16 | BFloat16 | Q8_0,
}

/// <summary>Facts about <see cref="KvElementType"/> values.</summary>
public static class KvElementTypeExtensions
{
    /// <summary>Elements per <see cref="KvElementType.Q8_0"/> block.</summary>
    public const int Q8_0BlockElements = 32;

    /// <summary>Bytes per <see cref="KvElementType.Q8_0"/> block: a 2-byte half scale, then 32 signed bytes.</summary>
    public const int Q8_0BlockBytes = 34;

    /// <summary>Bytes one row of <paramref name="headDim"/> elements occupies (Q8_0 rows are padded to whole blocks).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a known type, or <paramref name="headDim"/> is not positive.</exception>
    public static int RowBytes(this KvElementType type, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        return type switch
        {
            KvElementType.Float32 => checked(headDim * sizeof(float)),
            KvElementType.Float16 or KvElementType.BFloat16 => checked(headDim * sizeof(ushort)),
            KvElementType.Q8_0 => checked((headDim + Q8_0BlockElements - 1) / Q8_0BlockElements * Q8_0BlockBytes),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"Unknown KV element type {(int)type}; expected one of {string.Join(", ", Enum.GetNames<KvElementType>())}."),
        };
    }

    /// <summary>The flag of <paramref name="type"/> in a <see cref="KvElementTypes"/> set.</summary>
    public static KvElementTypes ToFlag(this KvElementType type) => (KvElementTypes)(1 << (int)type);

    /// <summary>The name llama.cpp's <c>-ctk</c>/<c>-ctv</c> options and the <c>generate --kv</c> option use: f32, f16, bf16, q8_0.</summary>
    public static string ShortName(this KvElementType type) => type switch
    {
        KvElementType.Float32 => "f32",
        KvElementType.Float16 => "f16",
        KvElementType.BFloat16 => "bf16",
        KvElementType.Q8_0 => "q8_0",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"Unknown KV element type {(int)type}."),
    };
}
