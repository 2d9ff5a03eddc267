using GqaGen.Llama.Tests.Support;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Files the decoder cannot run: each error names what is wrong (the architecture, the tensor and its type,
/// the missing tensor or key, the expected and actual shape).</summary>
public sealed class ModelErrorTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("falcon")]
    public void Other_architecture_is_named(string architecture)
    {
        var e = Assert.Throws<NotSupportedException>(() => Load(r => r.SetString("general.architecture", architecture)));
        Assert.Contains($"'{architecture}'", e.Message);
        Assert.Contains("llama", e.Message);
    }

    [Fact]
    public void Unsupported_tensor_type_names_the_tensor_and_the_type()
    {
        // Q8_K (ggml's activation type, never a weight) super-blocks hold 256 values, so the model's rows must be 256
        // long for the file to be valid GGUF.
        var spec = TestModels.Gqa with { EmbeddingLength = 256, Seed = 16 };
        int rows = spec.QueryLength;
        var e = Assert.Throws<NotSupportedException>(() => Load(spec,
            r => r.SetTensor("blk.1.attn_q.weight", GgmlType.Q8_K, [256, rows], new byte[rows * 292])));
        Assert.Contains("blk.1.attn_q.weight", e.Message);
        Assert.Contains("Q8_K", e.Message);
    }

    [Fact]
    public void Norm_vector_in_another_type_names_the_tensor()
    {
        var e = Assert.Throws<NotSupportedException>(() => Load(
            r => r.SetTensor("blk.0.ffn_norm.weight", GgmlType.F16, [64], new byte[128])));
        Assert.Contains("blk.0.ffn_norm.weight", e.Message);
        Assert.Contains("F16", e.Message);
    }

    [Theory]
    [InlineData("blk.1.attn_v.weight")]
    [InlineData("output_norm.weight")]
    [InlineData("token_embd.weight")]
    public void Missing_tensor_is_named(string tensor)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(r => r.RemoveTensor(tensor)));
        Assert.Contains($"'{tensor}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_names_expected_and_actual()
    {
        // attn_k should be [64, 32] (embedding columns, G·d rows); give it 48 rows.
        var e = Assert.Throws<InvalidDataException>(() => Load(
            r => r.SetTensor("blk.0.attn_k.weight", [64, 48], new float[64 * 48])));
        Assert.Contains("blk.0.attn_k.weight", e.Message);
        Assert.Contains("[64, 48]", e.Message);
        Assert.Contains("[64, 32]", e.Message);
    }

    [Fact]
    public void Missing_required_key_is_named()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(r => r.RemoveMetadata("llama.block_count")));
        Assert.Contains("llama.block_count", e.Message);
    }

    [Fact]
    public void Unmodified_copy_loads()
    {
        // The rewriter itself changes nothing unless asked, so the failures above come from the changes alone.
        using var model = Load(_ => { });
        Assert.Equal(2, model.Config.Layers);
    }

    private static LlamaModel Load(Action<GgufRewriter> change) => Load(TestModels.Gqa, change);

    private static LlamaModel Load(SyntheticLlamaSpec spec, Action<GgufRewriter> change)
    {
        using var source = TestModels.Open(spec);
        var rewriter = new GgufRewriter(source);
        change(rewriter);
        byte[] bytes = rewriter.ToArray();
        // Load from a path so the model owns (and on failure releases) its file.
        using var temporary = TestModels.WriteTemporary(bytes);
        return LlamaModel.Load(temporary.Path);
    }
}
