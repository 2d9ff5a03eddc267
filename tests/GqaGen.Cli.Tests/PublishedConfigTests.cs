using System.Text.Json;

namespace GqaGen.Cli.Tests;

/// <summary>inspect and plan on published configs: latent attention, experts, windows per layer, dtypes, context limits.</summary>
public class PublishedConfigTests
{
    public static TheoryData<string, string> AllConfigs => new()
    {
        { "DeepSeek-V2-Lite", PublishedConfigs.DeepSeekV2Lite },
        { "DeepSeek-V3", PublishedConfigs.DeepSeekV3 },
        { "Mixtral-8x7B", PublishedConfigs.Mixtral8x7B },
        { "Gemma-2-9B", PublishedConfigs.Gemma2_9B },
        { "Mistral-7B", Configs.Mistral7B },
        { "Llama-3-8B", Configs.Llama3_8B },
        { "Qwen2.5-7B", Configs.Qwen25_7B },
        { "Falcon-7B", Configs.Falcon7B },
        { "Qwen1.5-MoE-A2.7B", PublishedConfigs.Qwen15MoeA27B },
    };

    private static (CliRunner.Result Result, JsonDocument Json) Run(string command, string json, params string[] extra)
    {
        using var dir = new TempDir();
        string path = dir.Write("config.json", json);
        var r = command == "inspect"
            ? CliRunner.Run(["inspect", path, "--json", .. extra])
            : CliRunner.Run(["plan", "--config", path, "--memory", "80GB", "--json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Err);
        return (r, JsonDocument.Parse(r.Out));
    }

    [Fact]
    public void DeepSeek_V2_Lite_caches_a_576_element_latent_per_token_and_layer()
    {
        var m = ConfigReader.Parse(PublishedConfigs.DeepSeekV2Lite);
        Assert.Equal(AttentionKind.Mla, m.Attention);
        // (kv_lora_rank 512 + qk_rope_head_dim 64) · 2 bytes (bf16) = 1,152 B per layer; 27 layers = 31,104 B per token.
        Assert.Equal(27 * 1152.0, KvCacheMath.ModelBytesPerToken(m, KvDtype.Bf16));
        var (r, doc) = Run("inspect", PublishedConfigs.DeepSeekV2Lite);
        Assert.Equal("MLA", doc.RootElement.GetProperty("attention").GetString());
        Assert.Equal(31_104, doc.RootElement.GetProperty("kvBytesPerToken").GetDouble());
        Assert.DoesNotContain("[GqaLayout(", doc.RootElement.GetProperty("layout").GetString());
        // MHA with the same 16 heads would cache K (192) and V (128) per head: 16 · 320 · 2 B · 27 = 276,480 B per token.
        var mha = doc.RootElement.GetProperty("alternatives")[0];
        Assert.Equal(("MHA", 276_480.0), (mha.GetProperty("attention").GetString(), mha.GetProperty("kvBytesPerToken").GetDouble()));
    }

    [Fact]
    public void DeepSeek_V3_latent_cache_is_exact_and_its_MHA_equivalent_is_labelled_hypothetical()
    {
        var m = ConfigReader.Parse(PublishedConfigs.DeepSeekV3);
        Assert.Equal(61 * 1152.0, KvCacheMath.ModelBytesPerToken(m, KvDtype.Bf16)); // 70,272 B per token
        // Hypothetical MHA over the same 128 heads (K 192 + V 128 per head): 4,997,120 B per token, 71× the latent;
        // at 128k tokens 655 GB, at 100k 499.7 GB (the seeds' 399.8 GB took K as 128 wide too).
        Assert.Equal(4_997_120.0, KvCacheMath.ModelBytesPerToken(m, KvDtype.Bf16, kvGroups: 128));
        Assert.Equal(655.0, KvCacheMath.ModelBytes(m, 131_072, 1, KvDtype.Bf16, kvGroups: 128) / 1e9, 0);

        using var dir = new TempDir();
        var text = CliRunner.Run("inspect", dir.Write("config.json", PublishedConfigs.DeepSeekV3), "--context", "131072");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Hypothetical MHA G = 128", text.Out);
        Assert.Contains("No [GqaLayout] line", text.Out);

        var plan = CliRunner.Run("plan", "--model", "DeepSeek-V3", "--context", "32768", "--memory", "2TB");
        Assert.Contains("MLA latent (576 elements) *", plan.Out);
        Assert.Contains("2.30 GB", plan.Out);   // 70,272 B · 32,768 tokens, not the 131 GB of MHA
        Assert.Contains("hypothetical", plan.Out);
        Assert.DoesNotContain("[GqaLayout(", plan.Out);
    }

    [Theory]
    [InlineData("Mixtral-8x7B", 46.7e9, 12.9e9)]      // model card: 46.7B total, 12.9B active
    [InlineData("DeepSeek-V2-Lite", 15.7e9, null)]   // model card: 15.7B total (its 2.4B active: see the next test)
    [InlineData("DeepSeek-V3", 671e9, 37e9)]         // model card: 671B total, 37B activated
    public void Mixture_of_experts_total_and_active_parameters(string name, double total, double? active)
    {
        string json = name switch
        {
            "Mixtral-8x7B" => PublishedConfigs.Mixtral8x7B,
            "DeepSeek-V2-Lite" => PublishedConfigs.DeepSeekV2Lite,
            _ => PublishedConfigs.DeepSeekV3,
        };
        var p = ConfigReader.Parse(json).Parameters!;
        Assert.InRange(p.Total / total, 0.98, 1.02);
        // Active leaves out the input embedding (a one-row lookup), as DeepSeek's cards count.
        if (active is double card)
            Assert.InRange(p.Active / card, 0.98, 1.02);
    }

    /// <summary>
    /// DeepSeek-V2-Lite's active parameters, counted by hand from its config.json (hidden 2048, 27 layers, 16 heads,
    /// kv_lora_rank 512, no q_lora_rank, qk_nope 128, qk_rope 64, v 128, intermediate 10944, moe_intermediate 1408,
    /// 64 routed experts of which 6 per token, 2 shared, first_k_dense_replace 1, vocabulary 102400), embedding left out:
    /// attention 27 × (2048·3072 + 2048·576 + 512 + 512·4096 + 2048·2048) = 371,602,944; norms 27 × 4096 + 2048;
    /// the dense first MLP 3·2048·10944 = 67,239,936; 26 MoE layers × (8 experts × 3·2048·1408 + router 2048·64)
    /// = 1,802,764,288; output head 2048·102400 = 209,715,200. Total 2,451,435,008: 2.1 % above the card's "2.4B",
    /// which is rounded to two digits (the 2 % bar is missed by 0.1 point; reported, not loosened).
    /// </summary>
    [Fact]
    public void DeepSeek_V2_Lite_active_parameters_are_the_hand_count_of_its_config()
    {
        var p = ConfigReader.Parse(PublishedConfigs.DeepSeekV2Lite).Parameters!;
        Assert.Equal(2_451_435_008d, p.Active);
    }

    [Fact]
    public void Qwen_MoE_counts_its_shared_expert_and_the_card_counts_the_embedding()
    {
        var p = ConfigReader.Parse(PublishedConfigs.Qwen15MoeA27B).Parameters!;
        Assert.InRange(p.Total / 14.3e9, 0.98, 1.02);               // model card: 14.3B total
        Assert.InRange(p.ActiveWithEmbedding / 2.7e9, 0.98, 1.02);  // model card: 2.7B activated, embedding included
        Assert.Equal(151936.0 * 2048, p.InputEmbedding);
    }

    [Fact]
    public void Plan_budgets_all_experts_DeepSeek_V2_Lite_does_not_fit_24GB_in_bf16()
    {
        var (_, doc) = Run("plan", PublishedConfigs.DeepSeekV2Lite, "--context", "8192");
        Assert.InRange(doc.RootElement.GetProperty("weightsBytes").GetDouble(), 31.3e9, 31.5e9); // 15.7B · 2 B
        using var dir = new TempDir();
        var r = CliRunner.Run("plan", "--config", dir.Write("config.json", PublishedConfigs.DeepSeekV2Lite), "--context", "8192", "--memory", "24GB");
        Assert.Contains("weights alone", r.Out);
        Assert.Contains("all 15.71B parameters held, 2.45B active per token", r.Out);
    }

    [Fact]
    public void Gemma_2_9B_alternates_windows_and_uses_bf16_not_its_fp32_torch_dtype()
    {
        var (_, doc) = Run("inspect", PublishedConfigs.Gemma2_9B, "--context", "8192");
        var e = doc.RootElement;
        Assert.Equal("bf16", e.GetProperty("dtype").GetString());
        Assert.Equal(21, e.GetProperty("windowedLayers").GetInt32());
        // Tied embeddings (Gemma's default; the key is absent): 9.24B as on the model card, not 10.16B.
        Assert.InRange(e.GetProperty("parameters").GetDouble(), 9.2e9, 9.3e9);
        // Per layer and token: 2 · 8 KV heads · 256 · 2 B = 8,192 B. Even layers keep the 4,096-token window,
        // odd layers all 8,192 tokens.
        double[] perLayer = e.GetProperty("kvBytesPerLayer").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(42, perLayer.Length);
        Assert.All(perLayer.Where((_, i) => i % 2 == 0), b => Assert.Equal(8192.0 * 4096, b));
        Assert.All(perLayer.Where((_, i) => i % 2 == 1), b => Assert.Equal(8192.0 * 8192, b));
        Assert.Equal(2_113_929_216, e.GetProperty("kvBytesAtContext").GetDouble());
        // In fp32, on request only: the "about 4.23 GB".
        var (_, fp32) = Run("inspect", PublishedConfigs.Gemma2_9B, "--kv-dtype", "fp32");
        Assert.Equal(4_227_858_432, fp32.RootElement.GetProperty("kvBytesAtContext").GetDouble());
    }

    [Fact]
    public void Mistral_7B_window_applies_to_every_layer_in_inspect_and_plan()
    {
        var (_, doc) = Run("inspect", Configs.Mistral7B, "--context", "32768");
        // 32 layers · 2 · 8 · 128 · 2 B = 131,072 B per token, for at most 4,096 tokens.
        Assert.Equal(131_072.0 * 4096, doc.RootElement.GetProperty("kvBytesAtContext").GetDouble());
        Assert.Equal(32, doc.RootElement.GetProperty("windowedLayers").GetInt32());
        var (_, plan) = Run("plan", Configs.Mistral7B, "--context", "32768");
        Assert.Equal(131_072.0 * 4096, plan.RootElement.GetProperty("rows")[3].GetProperty("cacheBytes").GetDouble());
    }

    [Theory]
    [MemberData(nameof(AllConfigs))]
    public void Plan_and_inspect_give_the_same_KV_bytes(string name, string json)
    {
        foreach (string context in new[] { "1000", "8192", "40000" })
        {
            var (_, inspect) = Run("inspect", json, "--context", context);
            var (_, plan) = Run("plan", json, "--context", context, "--params", "1B");
            double fromInspect = inspect.RootElement.GetProperty("kvBytesAtContext").GetDouble();
            double fromPlan = plan.RootElement.GetProperty("rows").EnumerateArray()
                .Single(r => r.GetProperty("isModelLayout").GetBoolean()).GetProperty("cacheBytes").GetDouble();
            Assert.True(fromInspect == fromPlan, $"{name} at {context}: inspect {fromInspect}, plan {fromPlan}");
            Assert.Equal(inspect.RootElement.GetProperty("dtype").GetString(), plan.RootElement.GetProperty("kvDtype").GetProperty("name").GetString());
        }
    }

    [Theory]
    [InlineData("DeepSeek-V3")]
    [InlineData("Mixtral-8x7B")]
    [InlineData("Gemma-2-9B")]
    [InlineData("Mistral-7B")]
    public void Catalog_entries_size_the_cache_as_their_published_configs_do(string name)
    {
        var catalog = ModelCatalog.Find(name);
        var config = ConfigReader.Parse(name switch
        {
            "DeepSeek-V3" => PublishedConfigs.DeepSeekV3,
            "Mixtral-8x7B" => PublishedConfigs.Mixtral8x7B,
            "Gemma-2-9B" => PublishedConfigs.Gemma2_9B,
            _ => Configs.Mistral7B,
        });
        foreach (long context in new long[] { 1000, 8192, 32768 })
            Assert.Equal(KvCacheMath.ModelBytes(config, context, 1, KvDtype.Bf16), KvCacheMath.ModelBytes(catalog, context, 1, KvDtype.Bf16));
        Assert.Equal(config.Attention, catalog.Attention);
        Assert.InRange(catalog.Parameters!.Active / config.Parameters!.Active, 0.99, 1.01);
    }

    [Fact]
    public void Context_beyond_the_maximum_warns_in_inspect_and_plan()
    {
        using var dir = new TempDir();
        string path = dir.Write("config.json", Configs.Llama3_8B);
        var inspect = CliRunner.Run("inspect", path, "--context", "100000");
        Assert.Equal(0, inspect.ExitCode);
        Assert.Contains("warning: context 100,000 is beyond", inspect.Err);
        Assert.Contains("8,192", inspect.Err);
        var plan = CliRunner.Run("plan", "--config", path, "--context", "100000", "--memory", "80GB");
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains("warning: context 100,000 is beyond", plan.Err);
        Assert.Equal("", CliRunner.Run("plan", "--config", path, "--context", "8192", "--memory", "80GB").Err);
    }

    [Fact]
    public void Estimate_has_an_MLA_mode()
    {
        var r = CliApp.Estimate(7168, 128, 61, 32768, 8, 1, KvDtype.Bf16, 128, latentElements: 576);
        var mla = r.Rows.Single(x => x.Attention == "MLA");
        Assert.Equal(61 * 576 * 2.0, mla.BytesPerToken);
        Assert.Equal(61 * 576 * 2.0 * 32768, mla.TotalBytes);
    }
}
