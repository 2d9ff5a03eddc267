using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;
using GqaGen.Synthetic.Tests.Support;

namespace GqaGen.Synthetic.Tests;

/// <summary>The <c>qwen2</c> option of <see cref="SyntheticLlamaSpec.Architecture"/>: llama.cpp's <c>qwen2.*</c> keys,
/// random Q/K/V biases, Qwen2's pre-tokenizer, and the same weights otherwise.</summary>
public sealed class SyntheticQwen2Tests
{
    private static readonly SyntheticLlamaSpec Qwen2 = Specs.Gqa with { Architecture = SyntheticLlamaSpec.Qwen2Architecture };

    [Fact]
    public void Metadata_uses_the_qwen2_prefix_and_no_llama_keys()
    {
        using var file = Specs.Open(Qwen2);
        Assert.Equal("qwen2", file.GetString("general.architecture"));
        Assert.Equal(64u, file.GetUInt32("qwen2.embedding_length"));
        Assert.Equal(2u, file.GetUInt32("qwen2.block_count"));
        Assert.Equal(96u, file.GetUInt32("qwen2.feed_forward_length"));
        Assert.Equal(4u, file.GetUInt32("qwen2.attention.head_count"));
        Assert.Equal(2u, file.GetUInt32("qwen2.attention.head_count_kv"));
        Assert.Equal(Qwen2.RmsNormEpsilon, file.GetFloat32("qwen2.attention.layer_norm_rms_epsilon"));
        Assert.Equal(Qwen2.RopeFreqBase, file.GetFloat32("qwen2.rope.freq_base"));
        Assert.Equal((uint)Qwen2.ContextLength, file.GetUInt32("qwen2.context_length"));
        Assert.DoesNotContain(file.Metadata.Keys, key => key.StartsWith("llama.", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_block_has_f32_qkv_biases_of_the_projection_sizes()
    {
        using var file = Specs.Open(Qwen2);
        for (int layer = 0; layer < Qwen2.Layers; layer++)
        {
            foreach (var (name, length) in new[] { ("attn_q", Qwen2.QueryLength), ("attn_k", Qwen2.KvLength), ("attn_v", Qwen2.KvLength) })
            {
                var tensor = file.GetTensor($"blk.{layer}.{name}.bias");
                Assert.Equal(GgmlType.F32, tensor.Type);
                Assert.Equal([(long)length], tensor.Dimensions);
                float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.TensorData(tensor)).ToArray();
                Assert.All(values, v => Assert.InRange(v, -SyntheticLlama.BiasSpread, SyntheticLlama.BiasSpread));
                Assert.True(values.Select(Math.Abs).Max() > SyntheticLlama.BiasSpread / 2, $"{name}.bias is nearly zero");
            }
        }
        long elements = file.Tensors.Sum(t => t.Dimensions.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(Qwen2.ParameterCount, elements);
    }

    [Fact]
    public void Weights_other_than_the_biases_are_the_llama_models()
    {
        // Same seed, same tensor names: the random values depend only on (seed, name, index).
        using var qwen = Specs.Open(Qwen2);
        using var llama = Specs.Open(Specs.Gqa);
        foreach (var tensor in llama.Tensors)
            Assert.True(qwen.TensorData(qwen.GetTensor(tensor.Name)).SequenceEqual(llama.TensorData(tensor)), tensor.Name);
    }

    [Fact]
    public void Gpt2_vocabulary_gets_qwen2s_pre_tokenizer_without_bos()
    {
        using var file = Specs.Open(Qwen2);
        var data = TokenizerData.FromGguf(file);
        Assert.Equal("qwen2", data.PreTokenizer);
        Assert.False(data.AddBos);
        using var llamaFile = Specs.Open(Specs.Gqa);
        Assert.Equal(TokenizerData.FromGguf(llamaFile).Tokens, data.Tokens);
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("Qwen2")]
    [InlineData("")]
    public void Other_architectures_are_refused_by_name(string architecture)
    {
        var e = Assert.Throws<ArgumentException>(() => (Specs.Gqa with { Architecture = architecture }).Validate());
        Assert.Equal("Architecture", e.ParamName);
        Assert.Contains($"\"{architecture}\"", e.Message);
        Assert.Contains("qwen2", e.Message);
    }
}
