namespace GqaGen;

/// <summary>How a <see cref="KvCache"/> stores each K and V element.</summary>
/// <remarks>Only <see cref="Float32"/> exists today; reduced-precision storage (fp16, bf16, int8) will be added
/// as new members, and every kernel checks the cache's element type before reading it.</remarks>
public enum KvElementType
{
    /// <summary>IEEE 754 single precision, 4 bytes per element.</summary>
    Float32 = 0,
}

/// <summary>Facts about <see cref="KvElementType"/> values.</summary>
public static class KvElementTypeExtensions
{
    /// <summary>Bytes one element occupies in the cache.</summary>
    public static int SizeInBytes(this KvElementType type) => type switch
    {
        KvElementType.Float32 => sizeof(float),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, $"Unknown KV element type {type}."),
    };
}
