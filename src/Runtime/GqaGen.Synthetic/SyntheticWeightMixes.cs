using System.Globalization;
using GqaGen.Gguf;

namespace GqaGen.Synthetic;

/// <summary>
/// The per-tensor type rules of <see cref="SyntheticWeightMix"/>, transcribed from llama.cpp's
/// <c>llama_tensor_get_type</c> (src/llama-quant.cpp at c392e5094) for a dense llama-architecture model without an
/// importance matrix, and checked against the types <c>llama-quantize</c> itself chose for synthetic models
/// (tests/GqaGen.Synthetic.Tests/Data/quant-vectors/Q4_K_M-models.json).
/// </summary>
public static class SyntheticWeightMixes
{
    /// <summary>
    /// llama.cpp's <c>use_more_bits</c>: the layers a mixed preset gives more bits, the first eighth, the last eighth,
    /// and every third layer in between: <c>i &lt; n/8 || i ≥ 7n/8 || (i − n/8) % 3 == 2</c> (integer division).
    /// </summary>
    public static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>
    /// The type of matrix <paramref name="tensorName"/> (a GGUF tensor name such as <c>blk.3.attn_v.weight</c>) whose
    /// rows hold <paramref name="rowLength"/> elements, in a model of <paramref name="spec"/>.
    /// </summary>
    /// <remarks>For <see cref="SyntheticWeightMix.Q4_K_M"/>: <c>output.weight</c>, or <c>token_embd.weight</c> when
    /// the head is tied, is Q6_K (Q8_0 if its rows are not whole 256-element super-blocks); <c>attn_v</c> and
    /// <c>ffn_down</c> of layer i are Q6_K when <see cref="UseMoreBits"/>(i, layers); everything else is Q4_K. Then, as
    /// llama.cpp does for rows that are not whole super-blocks, Q4_K becomes Q5_0 and Q6_K becomes Q8_0 (and either
    /// F16 if the rows are not whole 32-element blocks either).</remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static GgmlType MatrixType(SyntheticLlamaSpec spec, string tensorName, long rowLength)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tensorName);
        if (spec.Mix == SyntheticWeightMix.Uniform)
            return spec.WeightType;

        const int superBlock = 256;
        bool isHead = tensorName == "output.weight" || (spec.TiedOutput && tensorName == "token_embd.weight");
        if (isHead)
            // llama.cpp picks Q8_0 itself for a head whose rows are not whole super-blocks (no further fallback).
            return rowLength % superBlock == 0 ? GgmlType.Q6_K : GgmlType.Q8_0;

        var type = GgmlType.Q4_K;
        if ((tensorName.EndsWith(".attn_v.weight", StringComparison.Ordinal) || tensorName.EndsWith(".ffn_down.weight", StringComparison.Ordinal))
            && UseMoreBits(LayerOf(tensorName), spec.Layers))
            type = GgmlType.Q6_K;

        if (rowLength % superBlock != 0)
        {
            type = type == GgmlType.Q4_K ? GgmlType.Q5_0 : GgmlType.Q8_0;
            if (rowLength % 32 != 0)
                type = GgmlType.F16;
        }
        return type;
    }

    /// <summary>llama.cpp's <c>general.file_type</c> (<c>llama_ftype</c>) for a mixed model.</summary>
    internal static uint FileType(SyntheticWeightMix mix) => mix switch
    {
        SyntheticWeightMix.Q4_K_M => 15, // LLAMA_FTYPE_MOSTLY_Q4_K_M
        _ => throw new ArgumentOutOfRangeException(nameof(mix), mix, "Only mixed presets have a file type of their own."),
    };

    /// <summary>The layer index of a <c>blk.{i}.…</c> tensor name. llama.cpp counts attn_v and ffn_down tensors in file
    /// order, which in a synthetic file is layer order, so the count is the layer.</summary>
    private static int LayerOf(string tensorName)
    {
        int start = "blk.".Length, end = tensorName.IndexOf('.', start);
        return int.Parse(tensorName.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
