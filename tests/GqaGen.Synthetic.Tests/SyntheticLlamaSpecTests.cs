using GqaGen.Synthetic.Tests.Support;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Synthetic.Tests;

/// <summary><see cref="SyntheticLlamaSpec"/>: the preset shapes and every validation rule.</summary>
public sealed class SyntheticLlamaSpecTests
{
    [Fact]
    public void TinyLlama_shape_has_TinyLlama_1_1B_parameter_count()
    {
        var spec = SyntheticLlamaSpec.TinyLlamaShaped(GgmlType.F16);
        Assert.Equal((2048, 22, 32, 4, 64, 5632, 32000), (spec.EmbeddingLength, spec.Layers, spec.Heads, spec.KvGroups, spec.HeadDim, spec.FeedForwardLength, spec.VocabularySize));
        Assert.Equal(GgmlType.F16, spec.WeightType);
        // TinyLlama-1.1B's parameter count as Hugging Face reports it for TinyLlama/TinyLlama-1.1B-Chat-v1.0.
        Assert.Equal(1_100_048_384L, spec.ParameterCount);
    }

    [Fact]
    public void BuiltIn_is_valid_and_grouped()
    {
        var spec = SyntheticLlamaSpec.BuiltIn;
        spec.Validate();
        Assert.True(spec.Heads > spec.KvGroups && spec.KvGroups > 1);
        Assert.Equal(GgmlType.F32, spec.WeightType);
    }

    [Fact]
    public void TinyLlamaShaped_rejects_unsupported_type()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticLlamaSpec.TinyLlamaShaped(GgmlType.IQ2_XXS));
        Assert.Contains("IQ2_XXS", e.Message);
    }

    public static TheoryData<SyntheticLlamaSpec, string, string[]> InvalidSpecs() => new()
    {
        { Specs.Gqa with { KvGroups = 3 }, "KvGroups", ["3", "4"] },
        { Specs.Gqa with { HeadDim = 15 }, "HeadDim", ["15", "even"] },
        { Specs.Gqa with { Layers = 0 }, "Layers", ["0"] },
        { Specs.Gqa with { EmbeddingLength = -1 }, "EmbeddingLength", ["-1"] },
        { Specs.Gqa with { VocabularySize = 0 }, "VocabularySize", ["0"] },
        { Specs.Gqa with { RmsNormEpsilon = 0 }, "RmsNormEpsilon", ["0"] },
        { Specs.Gqa with { RopeFreqBase = float.NaN }, "RopeFreqBase", ["NaN"] },
        { Specs.Gqa with { WeightType = GgmlType.IQ2_XXS }, "WeightType", ["IQ2_XXS", "Q8_0", "Q4_K"] },
        { Specs.Gqa with { WeightType = GgmlType.Q4_K }, "EmbeddingLength", ["Q4_K", "64", "256"] },
        { Specs.Gqa with { WeightType = GgmlType.Q4_0, FeedForwardLength = 100 }, "FeedForwardLength", ["Q4_0", "100", "32"] },
        { Specs.Gqa with { WeightType = GgmlType.Q6_K, Mix = SyntheticWeightMix.Q4_K_M }, "WeightType", ["Q4_K_M", "Q6_K", "Q4_K"] },
        { Specs.Gqa with { WeightType = GgmlType.Q4_K, Mix = (SyntheticWeightMix)7 }, "Mix", ["7"] },
        { Specs.Gqa with { TokenizerModel = "llama", VocabularySize = 258 }, "VocabularySize", ["258", "259"] },
        { Specs.Gqa with { TokenizerModel = "bert" }, "TokenizerModel", ["bert", "gpt2", "llama"] },
        { Specs.Gqa with { WeightType = GgmlType.Q8_0, EmbeddingLength = 48 }, "EmbeddingLength", ["48", "32"] },
        { Specs.Gqa with { WeightType = GgmlType.Q8_0, FeedForwardLength = 100 }, "FeedForwardLength", ["100", "ffn_down"] },
        { Specs.Gqa with { WeightType = GgmlType.Q8_0, HeadDim = 6 }, "HeadDim", ["24", "attn_output"] },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public void Validate_names_the_bad_field_and_value(SyntheticLlamaSpec spec, string parameter, string[] messageParts)
    {
        var e = Assert.ThrowsAny<ArgumentException>(spec.Validate);
        Assert.Equal(parameter, e.ParamName);
        foreach (string part in messageParts)
            Assert.Contains(part, e.Message);
        // Writing checks too, before anything reaches the stream.
        using var stream = new MemoryStream();
        var fromWrite = Assert.ThrowsAny<ArgumentException>(() => SyntheticLlama.Write(spec, stream));
        Assert.Equal(e.GetType(), fromWrite.GetType());
        Assert.Equal(e.Message, fromWrite.Message);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Q8_0_accepts_multiples_of_32()
    {
        (Specs.Gqa with { WeightType = GgmlType.Q8_0 }).Validate();
        // A vocabulary that is no multiple of 32 is fine: rows are the inputs, and the vocabulary counts rows.
        (Specs.Gqa with { WeightType = GgmlType.Q8_0, VocabularySize = 301 }).Validate();
    }
}
