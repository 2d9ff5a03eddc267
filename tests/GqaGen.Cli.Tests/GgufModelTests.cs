using GqaGen.Gguf;

namespace GqaGen.Cli.Tests;

/// <summary>GGUF files with tensors: real weight bytes, general.name, experts and deepseek2 latent attention.</summary>
public class GgufModelTests
{
    private static string Write(TempDir dir, string name, GgufWriter writer)
    {
        string path = Path.Combine(dir.Path, name);
        writer.WriteTo(path);
        return path;
    }

    private static GgufWriter Tiny(string arch) => new GgufWriter()
        .AddString("general.architecture", arch)
        .AddString("general.name", "Tiny Test Model")
        .AddUInt32($"{arch}.attention.head_count", 4)
        .AddUInt32($"{arch}.attention.head_count_kv", 2)
        .AddUInt32($"{arch}.embedding_length", 64)
        .AddUInt32($"{arch}.block_count", 2)
        .AddUInt32($"{arch}.context_length", 1024);

    [Fact]
    public void Plan_budgets_a_Q8_0_file_at_its_real_size_and_names_it_from_general_name()
    {
        using var dir = new TempDir();
        // Q8_0 stores 32 elements in 34 bytes (ggml-common.h block_q8_0: one fp16 scale + 32 int8): 64 · 64 = 4,096
        // elements are 128 blocks = 4,352 bytes, not the 8,192 of bf16.
        var writer = Tiny("llama")
            .AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [64, 64], new byte[4352])
            .AddTensor("output_norm.weight", GgmlType.F32, [64], new byte[256]);
        string path = Write(dir, "model-q8_0.gguf", writer);

        var r = CliRunner.Run("plan", "--gguf", path, "--context", "1024", "--memory", "1GB", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.Equal(4352.0 + 256, doc.RootElement.GetProperty("weightsBytes").GetDouble());
        Assert.Equal("as stored", doc.RootElement.GetProperty("weightsDtype").GetString());
        Assert.Equal("Tiny Test Model", doc.RootElement.GetProperty("model").GetProperty("name").GetString());
        Assert.Contains("Tiny Test Model", CliRunner.Run("inspect", path).Out);
    }

    [Fact]
    public void Deepseek2_latent_keys_give_the_latent_cache_and_experts_their_active_share()
    {
        using var dir = new TempDir();
        // The keys llama.cpp's convert_hf_to_gguf.py writes for DeepSeek-V2 since MLA support: key_length is the
        // latent width (kv_lora_rank + rope), key_length_mla / value_length_mla the per-head widths.
        var writer = Tiny("deepseek2")
            .AddUInt32("deepseek2.attention.kv_lora_rank", 512)
            .AddUInt32("deepseek2.rope.dimension_count", 64)
            .AddUInt32("deepseek2.attention.key_length", 576)
            .AddUInt32("deepseek2.attention.value_length", 512)
            .AddUInt32("deepseek2.attention.key_length_mla", 192)
            .AddUInt32("deepseek2.attention.value_length_mla", 128)
            .AddUInt32("deepseek2.expert_count", 8)
            .AddUInt32("deepseek2.expert_used_count", 2)
            .AddTensor("blk.1.ffn_up_exps.weight", GgmlType.F16, [64, 16, 8], new byte[64 * 16 * 8 * 2])
            .AddTensor("blk.0.attn_norm.weight", GgmlType.F32, [64], new byte[256]);
        string path = Write(dir, "ds.gguf", writer);

        var m = ConfigReader.ReadFile(path);
        Assert.Equal(AttentionKind.Mla, m.Attention);
        Assert.Equal(2 * 576 * 2.0, KvCacheMath.ModelBytesPerToken(m, KvDtype.Fp16)); // 2 layers · 576 · f16
        Assert.Equal((192, 128), (m.HeadDim, m.ValueHeadDim));
        Assert.Equal(64 * 16 * 8 + 64.0, m.Parameters!.Total);
        Assert.Equal(64 * 16 * 2 + 64.0, m.Parameters.Active);
        Assert.Contains("No [GqaLayout] line", CliRunner.Run("inspect", path).Out);
    }
}
