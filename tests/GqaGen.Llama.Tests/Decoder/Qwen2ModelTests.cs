using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Loading <c>qwen2</c> files: the configuration read from <c>qwen2.*</c> keys, the errors of a malformed
/// one, the tokenizer settings, and greedy generation.</summary>
public sealed class Qwen2ModelTests
{
    [Fact]
    public void Config_reads_the_qwen2_keys()
    {
        var spec = Qwen2Models.Mqa;
        using var file = TestModels.Open(spec);
        var c = LlamaConfig.FromGguf(file);
        Assert.Equal(LlamaConfig.Qwen2Architecture, c.ArchitectureName);
        Assert.True(c.HasQkvBias);
        Assert.Equal(RopeStyle.NeoX, c.RopeStyle);
        Assert.Equal((spec.VocabularySize, spec.EmbeddingLength, spec.Layers, spec.Heads, spec.KvGroups, spec.HeadDim, spec.FeedForwardLength),
            (c.VocabularySize, c.EmbeddingLength, c.Layers, c.Heads, c.KvGroups, c.HeadDim, c.FeedForwardLength));
        Assert.Equal(spec.RmsNormEpsilon, c.RmsNormEpsilon);
        Assert.Equal(spec.RopeFreqBase, c.RopeFreqBase);
        Assert.Equal(spec.ContextLength, c.ContextLength);
    }

    [Fact]
    public void Llama_config_keeps_interleaved_rope_and_no_biases()
    {
        using var file = TestModels.Open(TestModels.Gqa);
        var c = LlamaConfig.FromGguf(file);
        Assert.Equal(LlamaConfig.Architecture, c.ArchitectureName);
        Assert.False(c.HasQkvBias);
        Assert.Equal(RopeStyle.Interleaved, c.RopeStyle);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("qwen2moe")]
    [InlineData("qwen3")]
    public void Unsupported_architecture_lists_the_supported_ones(string architecture)
    {
        var e = Assert.Throws<NotSupportedException>(() => Load(Qwen2Models.Gqa, r => r.SetString("general.architecture", architecture)));
        Assert.Contains($"'{architecture}'", e.Message);
        Assert.Contains("'llama'", e.Message);
        Assert.Contains("'qwen2'", e.Message);
    }

    [Theory]
    [InlineData("blk.0.attn_q.bias")]
    [InlineData("blk.1.attn_k.bias")]
    [InlineData("blk.1.attn_v.bias")]
    public void Missing_bias_is_named(string tensor)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(Qwen2Models.Gqa, r => r.RemoveTensor(tensor)));
        Assert.Contains($"'{tensor}'", e.Message);
        Assert.Contains("qwen2", e.Message);
    }

    [Fact]
    public void Bias_of_the_wrong_length_names_expected_and_actual()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(Qwen2Models.Gqa, r => r.SetTensor("blk.0.attn_k.bias", [48], new float[48])));
        Assert.Contains("blk.0.attn_k.bias", e.Message);
        Assert.Contains("[48]", e.Message);
        Assert.Contains("[32]", e.Message);
    }

    [Fact]
    public void Missing_qwen2_key_is_named_with_its_prefix()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(Qwen2Models.Gqa, r => r.RemoveMetadata("qwen2.block_count")));
        Assert.Contains("qwen2.block_count", e.Message);
    }

    [Fact]
    public void Tokenizer_is_qwen2s_without_bos()
    {
        using var file = TestModels.Open(Qwen2Models.Gqa);
        using var qwen = LlamaModel.Load(file);
        Assert.False(qwen.Tokenizer.AddBos);
        // Qwen2's pre-tokenizer splits digits one by one, so no token of the encoding spans two digits.
        var ids = qwen.Tokenizer.Encode("In 2024, 31415 apples", addBos: true);
        Assert.Equal("In 2024, 31415 apples", qwen.Tokenizer.Decode(ids));
        foreach (int id in ids)
            Assert.True(qwen.Tokenizer.TokenText(id).Count(char.IsAsciiDigit) <= 1, $"token {id} '{qwen.Tokenizer.TokenText(id)}' holds several digits");
    }

    [Fact]
    public void Greedy_generation_repeats_exactly()
    {
        using var file = TestModels.Open(Qwen2Models.Mha);
        using var qwen = LlamaModel.Load(file);
        var generator = new TextGenerator(qwen);
        var options = new GenerationOptions { MaxTokens = 20, Sampling = SamplingOptions.Greedy, StopAtEndOfSequence = false };
        var first = generator.Generate("Hello from Qwen, 123", options);
        var second = generator.Generate("Hello from Qwen, 123", options);
        Assert.Equal(20, first.GeneratedTokens.Count);
        Assert.Equal(first.GeneratedTokens, second.GeneratedTokens);
        Assert.Equal(first.Text, second.Text);
    }

    private static LlamaModel Load(SyntheticLlamaSpec spec, Action<GgufRewriter> change)
    {
        using var source = TestModels.Open(spec);
        var rewriter = new GgufRewriter(source);
        change(rewriter);
        using var temporary = TestModels.WriteTemporary(rewriter.ToArray());
        return LlamaModel.Load(temporary.Path);
    }
}
