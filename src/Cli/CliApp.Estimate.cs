using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen estimate`: the KV cache of MHA, the given GQA and MQA for one shape.
public sealed partial class CliApp
{
    public sealed record EstimateRow(string Attention, int KvGroups, double BytesPerToken, double TotalBytes, double Gb, double Gib,
        double RatioVsMha, double SavingPercent);

    public sealed record EstimateResult(int Hidden, int Heads, int HeadDim, int Layers, long Context, long Batch, string Dtype,
        double BytesPerElement, IReadOnlyList<EstimateRow> Rows);

    /// <param name="latentElements">MLA mode: kv_lora_rank + qk_rope_head_dim cached per token and layer; adds an MLA row.</param>
    public static EstimateResult Estimate(int hidden, int heads, int layers, long context, int kvGroups, long batch, KvDtype dtype, int? headDim,
        int? latentElements = null)
    {
        int d = KvCacheMath.ResolveHeadDim(hidden, heads, headDim);
        Validate.Positive(layers, "--layers");
        Validate.Positive(context, "--context");
        Validate.Positive(batch, "--batch");
        KvCacheMath.CheckGroups(heads, kvGroups);
        // Every row is the per-layer sum plan and inspect use, on one uniform model: G heads of K and V per layer, or,
        // for the MLA row, one latent of the given width per layer (the placeholder rope width 0 keeps it that width).
        var model = ModelConfig.Dense("estimate", layers, hidden, heads, heads, d, 1, null, "estimate");
        double mha = KvCacheMath.ModelBytes(model, context, batch, dtype, heads);
        EstimateRow Row(string name, int g, ModelConfig m, int? groups)
        {
            double total = KvCacheMath.ModelBytes(m, context, batch, dtype, groups);
            return new EstimateRow(name, g, KvCacheMath.ModelBytesPerToken(m, dtype, groups), total, total / Units.GB, total / Units.GiB,
                mha / total, (1 - total / mha) * 100);
        }
        EstimateRow[] rows = [Row("MHA", heads, model, heads), Row("GQA", kvGroups, model, kvGroups), Row("MQA", 1, model, 1)];
        if (latentElements is int latent)
        {
            Validate.Positive(latent, "--latent");
            rows = [.. rows, Row("MLA", 0, model with { Latent = new LatentAttention(latent, 0, d, d, null) }, null)];
        }
        return new EstimateResult(hidden, heads, d, layers, context, batch, dtype.Name, dtype.BytesPerElement, rows);
    }

    private Command EstimateCommand()
    {
        var hidden = new Option<int>("--hidden") { Description = "Model (hidden) size.", Required = true };
        var heads = new Option<int>("--heads") { Description = "Query heads H.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer layers.", Required = true };
        var context = new Option<long>("--context") { Description = "Context length in tokens.", Required = true };
        var groups = new Option<int>("--kv-groups") { Description = "KV heads G for the GQA row (must divide H).", Required = true };
        var batch = new Option<long>("--batch") { Description = "Sequences held at once.", DefaultValueFactory = _ => 1 };
        var dtype = DtypeOption("--dtype", "bf16", "KV-cache");
        var headDim = new Option<int?>("--head-dim") { Description = "Head dimension d (default hidden / heads)." };
        var latent = new Option<int?>("--latent")
        {
            Description = "MLA mode: elements one layer caches per token, kv_lora_rank + qk_rope_head_dim (576 for DeepSeek-V2/V3); adds an MLA row.",
        };
        var json = JsonOption();
        var cmd = new Command("estimate",
            "KV-cache size for MHA (G = H), the given GQA and MQA (G = 1): bytes = 2 · layers · G · d · context · batch · bytes per element.")
        {
            hidden, heads, layers, context, groups, batch, dtype, headDim, latent, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            var r = Estimate(p.GetValue(hidden), p.GetValue(heads), p.GetValue(layers), p.GetValue(context), p.GetValue(groups),
                p.GetValue(batch), KvDtype.Parse(p.GetValue(dtype)), p.GetValue(headDim), p.GetValue(latent));
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            _console.WriteLine(
                $"KV cache: {r.Layers} layers, H = {r.Heads}, d = {r.HeadDim}, context {r.Context:N0}, batch {r.Batch}, {r.Dtype} ({KvDtypeBytes(r.BytesPerElement)} B/element)");
            var table = new Table().AddColumns("Attention", "KV heads (G)", "Per token", "Total bytes", "GB (10^9 B)", "GiB (2^30 B)",
                "MHA / this", "Saving vs MHA");
            foreach (var row in r.Rows)
            {
                table.AddRow(Cells(
                    row.Attention, row.Attention == "MLA" ? "latent" : row.KvGroups.ToString(CultureInfo.InvariantCulture), Units.Bytes(row.BytesPerToken) + " B",
                    Units.Bytes(row.TotalBytes), Units.Gb(row.TotalBytes), Units.GiBText(row.TotalBytes),
                    row.RatioVsMha.ToString("F2", CultureInfo.InvariantCulture) + "×",
                    row.SavingPercent.ToString("F2", CultureInfo.InvariantCulture) + "%"));
            }
            _console.Write(table);
            return 0;
        }));
        return cmd;
    }
}
