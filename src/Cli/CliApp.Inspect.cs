using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen inspect`: the layout a Hugging Face config.json declares.
public sealed partial class CliApp
{
    /// <summary>One hypothetical layout of the same heads, for a latent-attention model.</summary>
    public sealed record InspectAlternative(string Attention, int KvGroups, double KvBytesPerToken, double KvBytesAtContext);

    /// <summary>
    /// What <c>inspect --json</c> writes. KV sizes come from <see cref="KvCacheMath.ModelBytes"/> (layer by layer,
    /// windows applied), the computation <c>plan</c> uses. <c>Layout</c> is the [GqaLayout] line, or for MLA a
    /// sentence saying why there is none; <c>Alternatives</c> (MLA only) are the hypothetical MHA/GQA/MQA caches.
    /// </summary>
    public sealed record InspectResult(string Name, string? ModelType, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim,
        int ValueHeadDim, int HeadsPerGroup, string Attention, int? MaxContext, int? SlidingWindow, int WindowedLayers,
        IReadOnlyList<int?> WindowPerLayer, string Dtype, string DtypeReason, string? TorchDtype, int? KvLoraRank, int? QkRopeHeadDim,
        long KvElementsPerTokenPerLayer, double KvBytesPerToken, long Context, double KvBytesAtContext, double[] KvBytesPerLayer,
        double? KvBytesAtMaxContext, double? Parameters, double? ActiveParameters, double? ActiveParametersWithEmbedding, string? Experts,
        double? WeightBytes,
        IReadOnlyList<InspectAlternative>? Alternatives, string Layout, IReadOnlyList<string> Warnings);

    /// <param name="context">Tokens per sequence for the sizes; null means the model's maximum (or 4,096 when unknown).</param>
    /// <param name="kvDtype">Null means the model's serving dtype.</param>
    public static InspectResult Inspect(ModelConfig c, long? context = null, KvDtype? kvDtype = null)
    {
        KvDtype dtype = kvDtype ?? c.Dtype;
        string reason = kvDtype is null ? c.DtypeReason : $"{dtype} (--kv-dtype)";
        long ctx = context ?? c.MaxContext ?? DefaultContext;
        Validate.Positive(ctx, "--context");
        double perToken = KvCacheMath.ModelBytesPerToken(c, dtype);
        double[] perLayer = KvCacheMath.LayerBytes(c, ctx, 1, dtype);
        double? atMax = c.MaxContext is int mc ? KvCacheMath.ModelBytes(c, mc, 1, dtype) : null;
        string attention = c.Attention.ToString().ToUpperInvariant();

        IReadOnlyList<InspectAlternative>? alternatives = null;
        string layout;
        if (c.Latent is { } latent)
        {
            alternatives = KvCacheMath.Divisors(c.Heads).Reverse()
                .Select(g => new InspectAlternative(g == c.Heads ? "MHA" : g == 1 ? "MQA" : "GQA", g,
                    KvCacheMath.ModelBytesPerToken(c, dtype, g), KvCacheMath.ModelBytes(c, ctx, 1, dtype, g)))
                .ToArray();
            layout = $"No [GqaLayout] line: multi-head latent attention caches one {latent.KvLoraRank}-element latent plus a "
                + $"{latent.QkRopeHeadDim}-element rotary key per token and layer, which every head expands with its own "
                + "up-projection; GqaGen generates grouped-query kernels only.";
        }
        else
        {
            layout = GqaAttention.AttributeLineFor(c.Heads, c.KvHeads, c.HeadDim);
        }
        var p = c.Parameters;
        return new InspectResult(c.Name, c.ModelType, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.HeadDim, c.ValueHeadDim, c.HeadsPerGroup,
            attention, c.MaxContext, c.SlidingWindow, c.WindowedLayers, c.WindowPerLayer, dtype.Name, reason, c.TorchDtype,
            c.Latent?.KvLoraRank, c.Latent?.QkRopeHeadDim, KvCacheMath.ElementsPerTokenPerLayer(c), perToken, ctx, perLayer.Sum(), perLayer,
            atMax, p?.Total, p?.Experts is null ? null : p.Active, p?.Experts is null ? null : p.ActiveWithEmbedding, p?.Experts, c.WeightBytes, alternatives, layout,
            Planner.ContextWarnings(c, ctx));
    }

    /// <summary>The context <c>inspect</c> sizes when neither --context nor max_position_embeddings gives one.</summary>
    private const long DefaultContext = 4096;

    private Command InspectCommand()
    {
        var path = new Argument<string>("path") { Description = "A Hugging Face config.json or a GGUF model file (*.gguf)." };
        var context = new Option<long?>("--context") { Description = "Tokens per sequence for the KV sizes (default: the model's maximum)." };
        var kvDtype = new Option<string?>("--kv-dtype")
        {
            Description = $"KV-cache element type: {KvDtype.HelpText}. Default: the serving dtype (bf16/fp16, never a silent fp32; f16 for GGUF).",
        };
        var json = JsonOption();
        var cmd = new Command("inspect",
            "Attention layout (MHA, GQA, MQA or MLA), windows per layer, KV bytes per token and layer, parameters (total and active for "
            + "mixtures of experts) and the [GqaLayout] line for a Hugging Face config.json or a GGUF file.")
        {
            path, context, kvDtype, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            var r = Inspect(ConfigReader.ReadFile(p.GetValue(path)!), p.GetValue(context),
                p.GetValue(kvDtype) is string kd ? KvDtype.Parse(kd) : null);
            foreach (string warning in r.Warnings) _err.WriteLine($"warning: {warning}");
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            WriteInspect(r);
            return 0;
        }));
        return cmd;
    }

    private void WriteInspect(InspectResult r)
    {
        var grid = new Table().AddColumns("Field", "Value");
        void Add(string k, string v) => grid.AddRow(Cells(k, v));
        string Int(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        Add("Model", r.Name);
        if (r.ModelType is not null) Add("model_type", r.ModelType);
        if (r.Attention == "MLA")
        {
            Add("Attention", $"MLA (multi-head latent attention): {r.Heads} query heads; cache per token and layer = kv_lora_rank {r.KvLoraRank} + qk_rope_head_dim {r.QkRopeHeadDim} = {r.KvElementsPerTokenPerLayer} elements");
            Add("Head dims", $"K {r.HeadDim} (qk_nope + qk_rope), V {r.ValueHeadDim}, after the latent's up-projection");
        }
        else
        {
            Add("Attention", $"{r.Attention}: {r.Heads} query heads, {r.KvHeads} KV heads");
            Add("Heads per group", r.HeadsPerGroup.ToString(CultureInfo.InvariantCulture));
            Add("Head dim", r.HeadDim.ToString(CultureInfo.InvariantCulture));
        }
        Add("Hidden size", r.Hidden.ToString(CultureInfo.InvariantCulture));
        Add("Layers", r.Layers.ToString(CultureInfo.InvariantCulture));
        Add("Max context", r.MaxContext is int mc ? Int(mc) : "not in config");
        Add("Sliding window", r.SlidingWindow is int sw
            ? r.WindowedLayers == r.Layers ? $"{Int(sw)} on every layer" : $"{Int(sw)} on {r.WindowedLayers} of {r.Layers} layers (the others are global)"
            : "none");
        if (r.Parameters is double total)
        {
            Add("Parameters", r.Experts is null ? Units.Params(total)
                : $"{Units.Params(total)} total, {Units.Params(r.ActiveParameters!.Value)} active per token"
                  + (r.ActiveParametersWithEmbedding is double withEmbedding && withEmbedding != r.ActiveParameters
                      ? $" ({Units.Params(withEmbedding)} counting the input embedding)" : "")
                  + $"; {r.Experts}");
        }
        if (r.WeightBytes is double wb) Add("Weight bytes", $"{Units.Bytes(wb)} B ({Units.Gb(wb)}, the tensors' own types)");
        Add("KV dtype", r.DtypeReason);
        Add("KV bytes per token", $"{Units.Bytes(r.KvBytesPerToken)} B ({Units.Human(r.KvBytesPerToken)}) while every layer holds every token");
        string perLayer = r.KvBytesPerLayer.Distinct().Count() == 1
            ? $"{Units.Bytes(r.KvBytesPerLayer[0])} B on each layer"
            : string.Join(", ", r.KvBytesPerLayer.GroupBy(b => b).Select(g => $"{g.Count()} layers × {Units.Bytes(g.Key)} B"));
        string rolling = r.SlidingWindow is int w && w < r.Context ? $"; windowed layers keep a rolling cache of {Int(w)} tokens" : "";
        Add($"KV bytes at {Int(r.Context)} tokens",
            $"{Units.Bytes(r.KvBytesAtContext)} B ({Units.Gb(r.KvBytesAtContext)}, {Units.GiBText(r.KvBytesAtContext)}) per sequence: {perLayer}{rolling}");
        if (r.Alternatives is not null)
        {
            foreach (var a in r.Alternatives)
                Add($"Hypothetical {a.Attention} G = {a.KvGroups}",
                    $"{Units.Bytes(a.KvBytesPerToken)} B per token, {Units.Gb(a.KvBytesAtContext)} at {Int(r.Context)} tokens ({a.KvBytesPerToken / r.KvBytesPerToken:F1}× the latent cache)");
        }
        _console.Write(grid);
        _console.WriteLine(r.Layout);
    }
}
