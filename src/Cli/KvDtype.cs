using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace GqaGen.Cli;

/// <summary>
/// An element type for weights or the KV cache, with its storage cost in bytes per element.
/// </summary>
/// <remarks>
/// q4 is a block-quantised 4-bit format: 0.5 byte per element plus one fp16 scale per block of 32
/// elements, so 0.5 + 2/32 = 0.5625 bytes per element.
/// </remarks>
public sealed record KvDtype(string Name, double BytesPerElement)
{
    public static readonly KvDtype Fp32 = new("fp32", 4);
    public static readonly KvDtype Fp16 = new("fp16", 2);
    public static readonly KvDtype Bf16 = new("bf16", 2);
    public static readonly KvDtype Fp8 = new("fp8", 1);
    public static readonly KvDtype Int8 = new("int8", 1);
    /// <summary>4-bit values plus one fp16 scale per 32 elements: 0.5 + 2/32 = 0.5625 bytes per element.</summary>
    public static readonly KvDtype Q4 = new("q4", 0.5 + 2.0 / 32.0);

    public static IReadOnlyList<KvDtype> All { get; } = [Fp32, Fp16, Bf16, Fp8, Int8, Q4];

    public const string HelpText =
        "fp32 (4 B), fp16 (2 B), bf16 (2 B), fp8 (1 B), int8 (1 B), q4 (0.5 B + one fp16 scale per 32 elements = 0.5625 B per element)";

    /// <summary>Parses a dtype name (also the Hugging Face torch_dtype spellings float32, float16, bfloat16).</summary>
    public static KvDtype Parse(string? text) => TryParse(text, out KvDtype? dtype)
        ? dtype
        : throw new CliException($"unknown dtype '{text}' (expected one of: fp32, fp16, bf16, fp8, int8, q4)");

    /// <summary>Like <see cref="Parse"/>, but false instead of an error for a name it does not know.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out KvDtype? dtype)
    {
        dtype = (text ?? "").Trim().ToLowerInvariant() switch
        {
            "fp32" or "float32" or "f32" or "float" => Fp32,
            "fp16" or "float16" or "f16" or "half" => Fp16,
            "bf16" or "bfloat16" => Bf16,
            "fp8" or "float8" or "f8" => Fp8,
            "int8" or "i8" => Int8,
            "q4" or "int4" => Q4,
            _ => null,
        };
        return dtype is not null;
    }

    public override string ToString() => Name;

    internal string BytesText => BytesPerElement.ToString("0.####", CultureInfo.InvariantCulture);
}
