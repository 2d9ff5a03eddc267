namespace GqaGen.Cli.Tests;

public class MathTests
{
    [Fact]
    public void KvBytes_follow_the_formula()
    {
        // 2 · layers · G · d · context · batch · bytes
        Assert.Equal(17_179_869_184d, KvCacheMath.TotalBytes(32, 32, 128, 32768, 1, KvDtype.Bf16));
        Assert.Equal(4_294_967_296d, KvCacheMath.TotalBytes(32, 8, 128, 32768, 1, KvDtype.Bf16));
        Assert.Equal(2.0 * 40 * 1 * 128 * 2, KvCacheMath.BytesPerToken(40, 1, 128, KvDtype.Fp16));
        Assert.Equal(2.0 * 32 * 8 * 128 * 4 * 3 * 4, KvCacheMath.TotalBytes(32, 8, 128, 4, 3, KvDtype.Fp32), 6);
    }

    [Theory]
    [InlineData("fp32", 4)]
    [InlineData("fp16", 2)]
    [InlineData("bf16", 2)]
    [InlineData("bfloat16", 2)]
    [InlineData("fp8", 1)]
    [InlineData("int8", 1)]
    [InlineData("q4", 0.5625)]
    public void Dtypes_have_their_sizes(string name, double bytes) => Assert.Equal(bytes, KvDtype.Parse(name).BytesPerElement);

    [Fact]
    public void Q4_is_half_a_byte_and_a_scale_per_32() =>
        Assert.Equal(0.5 + 2.0 / 32, KvDtype.Q4.BytesPerElement);

    [Fact]
    public void Unknown_dtype_throws() =>
        Assert.Contains("unknown dtype", Assert.Throws<CliException>(() => KvDtype.Parse("fp4")).Message);

    [Fact]
    public void Divisors_are_all_factors()
    {
        Assert.Equal([1, 2, 4, 5, 8, 10, 20, 40], KvCacheMath.Divisors(40));
        Assert.Equal([1, 71], KvCacheMath.Divisors(71));
    }

    [Theory]
    [InlineData("80GB", 80e9)]
    [InlineData("80 GB", 80e9)]
    [InlineData("80GiB", 80.0 * 1024 * 1024 * 1024)]
    [InlineData("8e10", 8e10)]
    [InlineData("1.5TB", 1.5e12)]
    [InlineData("512MiB", 512.0 * 1024 * 1024)]
    public void Memory_sizes_parse(string text, double bytes) => Assert.Equal(bytes, Units.ParseBytes(text, "--memory"));

    [Theory]
    [InlineData("")]
    [InlineData("eighty")]
    [InlineData("80XB")]
    [InlineData("-80GB")]
    [InlineData("0")]
    public void Bad_memory_size_throws(string text) => Assert.Throws<CliException>(() => Units.ParseBytes(text, "--memory"));

    [Fact]
    public void Reserve_is_a_share_or_a_size()
    {
        Assert.Equal(8e9, Units.ParseReserve("10%", 80e9), 3);
        Assert.Equal(8e9, Units.ParseReserve("0.1", 80e9), 3);
        Assert.Equal(4e9, Units.ParseReserve("4GB", 80e9));
        Assert.Throws<CliException>(() => Units.ParseReserve("150%", 80e9));
    }

    [Fact]
    public void Counts_parse_with_suffixes()
    {
        Assert.Equal(13e9, Units.ParseCount("13e9", "--params"));
        Assert.Equal(13e9, Units.ParseCount("13B", "--params"));
        Assert.Equal(500e6, Units.ParseCount("500M", "--params"));
    }

    [Fact]
    public void Catalog_has_every_model_with_consistent_shapes()
    {
        string[] names = ["Llama-2-7B", "Llama-2-13B", "Llama-2-70B", "Llama-3-8B", "Llama-3-70B", "Llama-3.2-1B", "Llama-3.2-3B",
            "Mistral-7B", "Mixtral-8x7B", "Falcon-7B", "Falcon-40B", "Qwen2.5-0.5B", "Qwen2.5-7B", "TinyLlama-1.1B", "Gemma-2-9B", "DeepSeek-V3"];
        foreach (string n in names)
        {
            var m = ModelCatalog.Find(n);
            Assert.Equal(0, m.Heads % m.KvHeads);
            Assert.True(m.Layers > 0 && m.HeadDim > 0 && m.Parameters!.Total > 1e8, n);
            Assert.Contains("config.json", m.Source);
        }
        Assert.Equal(names.Length, ModelCatalog.Models.Count);
        Assert.Same(ModelCatalog.Find("Llama-3-8B"), ModelCatalog.Find("llama3-8b"));
        var ds = ModelCatalog.Find("DeepSeek-V3");
        // MLA: K heads are qk_nope 128 + qk_rope 64 wide, V heads 128; the cache is the 576-element latent.
        Assert.Equal((61, 128, 192, 128, 576L), (ds.Layers, ds.Heads, ds.HeadDim, ds.ValueHeadDim, KvCacheMath.ElementsPerTokenPerLayer(ds)));
    }

    [Fact]
    public void DeepSeekV3_attention_as_MHA_would_need_about_400_GB_at_100k_context_a_hypothetical_figure()
    {
        // The seeds' "400 GB": 61 layers × 128 heads × 128 dims (v_head_dim, for K as well), K and V, 2 bytes each,
        // 100,000 positions = 399.8 GB. That is what MHA with DeepSeek-V3's heads would cache; the model caches its
        // 576-element latent instead. Counting K at its real 192 dims (qk_nope 128 + qk_rope 64) gives 499.7 GB.
        var deepSeek = ModelCatalog.Find("DeepSeek-V3");
        Assert.Equal(399.8, KvCacheMath.TotalBytes(deepSeek.Layers, deepSeek.Heads, 128, 100_000, 1, KvDtype.Fp16) / 1e9, 1);
        Assert.Equal(499.712, KvCacheMath.ModelBytes(deepSeek, 100_000, 1, KvDtype.Fp16, kvGroups: deepSeek.Heads) / 1e9, 3);
        Assert.Equal(61.0 * 576 * 2 * 100_000, KvCacheMath.ModelBytes(deepSeek, 100_000, 1, KvDtype.Fp16)); // the real cache: 7.03 GB
    }
}
