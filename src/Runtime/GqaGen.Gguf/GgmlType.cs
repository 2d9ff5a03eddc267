namespace GqaGen.Gguf;

#pragma warning disable CA1707 // The names follow ggml's own spelling (Q4_K, IQ2_XXS).

/// <summary>A ggml tensor element type, with the ids used in GGUF files.</summary>
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>IEEE 16-bit float.</summary>
    F16 = 1,
    /// <summary>4-bit blocks of 32 with an f16 scale (18 bytes per block).</summary>
    Q4_0 = 2,
    /// <summary>4-bit blocks of 32 with f16 scale and minimum (20 bytes per block).</summary>
    Q4_1 = 3,
    /// <summary>5-bit blocks of 32 (22 bytes per block).</summary>
    Q5_0 = 6,
    /// <summary>5-bit blocks of 32 with minimum (24 bytes per block).</summary>
    Q5_1 = 7,
    /// <summary>8-bit blocks of 32 with an f16 scale (34 bytes per block).</summary>
    Q8_0 = 8,
    /// <summary>8-bit blocks of 32 with f16 scale and sum (36 bytes per block).</summary>
    Q8_1 = 9,
    /// <summary>2-bit k-quant super-blocks of 256 (84 bytes).</summary>
    Q2_K = 10,
    /// <summary>3-bit k-quant super-blocks of 256 (110 bytes).</summary>
    Q3_K = 11,
    /// <summary>4-bit k-quant super-blocks of 256 (144 bytes).</summary>
    Q4_K = 12,
    /// <summary>5-bit k-quant super-blocks of 256 (176 bytes).</summary>
    Q5_K = 13,
    /// <summary>6-bit k-quant super-blocks of 256 (210 bytes).</summary>
    Q6_K = 14,
    /// <summary>8-bit k-quant super-blocks of 256 (292 bytes).</summary>
    Q8_K = 15,
    /// <summary>IQ2_XXS super-blocks of 256 (66 bytes).</summary>
    IQ2_XXS = 16,
    /// <summary>IQ2_XS super-blocks of 256 (74 bytes).</summary>
    IQ2_XS = 17,
    /// <summary>IQ3_XXS super-blocks of 256 (98 bytes).</summary>
    IQ3_XXS = 18,
    /// <summary>IQ1_S super-blocks of 256 (50 bytes).</summary>
    IQ1_S = 19,
    /// <summary>IQ4_NL blocks of 32 (18 bytes).</summary>
    IQ4_NL = 20,
    /// <summary>IQ3_S super-blocks of 256 (110 bytes).</summary>
    IQ3_S = 21,
    /// <summary>IQ2_S super-blocks of 256 (82 bytes).</summary>
    IQ2_S = 22,
    /// <summary>IQ4_XS super-blocks of 256 (136 bytes).</summary>
    IQ4_XS = 23,
    /// <summary>8-bit integer.</summary>
    I8 = 24,
    /// <summary>16-bit integer.</summary>
    I16 = 25,
    /// <summary>32-bit integer.</summary>
    I32 = 26,
    /// <summary>64-bit integer.</summary>
    I64 = 27,
    /// <summary>64-bit float.</summary>
    F64 = 28,
    /// <summary>IQ1_M super-blocks of 256 (56 bytes).</summary>
    IQ1_M = 29,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
}

/// <summary>Block layouts of the <see cref="GgmlType"/>s, for computing tensor byte sizes.</summary>
public static class GgmlTypes
{
    /// <summary>Whether <paramref name="type"/> is a type id this reader knows (and so can size).</summary>
    public static bool IsKnown(GgmlType type) => TryGetBlockLayout(type, out _, out _);

    /// <summary>Gets the number of elements per block and the bytes per block of <paramref name="type"/>.</summary>
    /// <returns><see langword="false"/> for an unknown type id.</returns>
    public static bool TryGetBlockLayout(GgmlType type, out int blockElements, out int blockBytes)
    {
        (blockElements, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.BF16 => (1, 2),
            GgmlType.F64 => (1, 8),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 => (1, 8),
            GgmlType.Q4_0 => (32, 18),
            GgmlType.Q4_1 => (32, 20),
            GgmlType.Q5_0 => (32, 22),
            GgmlType.Q5_1 => (32, 24),
            GgmlType.Q8_0 => (32, 34),
            GgmlType.Q8_1 => (32, 36),
            GgmlType.IQ4_NL => (32, 18),
            GgmlType.Q2_K => (256, 84),
            GgmlType.Q3_K => (256, 110),
            GgmlType.Q4_K => (256, 144),
            GgmlType.Q5_K => (256, 176),
            GgmlType.Q6_K => (256, 210),
            GgmlType.Q8_K => (256, 292),
            GgmlType.IQ2_XXS => (256, 66),
            GgmlType.IQ2_XS => (256, 74),
            GgmlType.IQ3_XXS => (256, 98),
            GgmlType.IQ1_S => (256, 50),
            GgmlType.IQ3_S => (256, 110),
            GgmlType.IQ2_S => (256, 82),
            GgmlType.IQ4_XS => (256, 136),
            GgmlType.IQ1_M => (256, 56),
            _ => (0, 0),
        };
        return blockElements != 0;
    }
}
