using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen plan`: which numbers of K/V groups fit a memory budget.
public sealed partial class CliApp
{
    private Command PlanCommand()
    {
        var model = new Option<string?>("--model") { Description = $"A built-in model: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}." };
        var config = new Option<string?>("--config", "--gguf") { Description = "A Hugging Face config.json or a GGUF model file instead of --model." };
        var parameters = new Option<string?>("--params") { Description = "Parameter count for --config (13e9, 13B); estimated from the config when absent." };
        var context = new Option<long>("--context") { Description = "Context length in tokens.", Required = true };
        var batch = new Option<long>("--batch") { Description = "Sequences held at once.", DefaultValueFactory = _ => 1 };
        var memory = new Option<string>("--memory") { Description = "Device memory: 80GB, 80GiB, 8e10 (bytes).", Required = true };
        var weightsDtype = DtypeOption("--weights-dtype", "bf16", "Weight");
        var kvDtype = DtypeOption("--kv-dtype", "bf16", "KV-cache");
        var reserve = new Option<string>("--reserve")
        {
            Description = "Memory kept free for activations and the runtime: a share (10%, 0.1) or a size (4GB).",
            DefaultValueFactory = _ => "10%",
        };
        var json = JsonOption();
        var cmd = new Command("plan", "Which KV-group counts G fit weights + KV cache + reserve in the given memory; recommends the largest that fits.")
        {
            model, config, parameters, context, batch, memory, weightsDtype, kvDtype, reserve, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            string? modelName = p.GetValue(model);
            string? configPath = p.GetValue(config);
            if ((modelName is null) == (configPath is null))
                throw new CliException("pass exactly one of --model NAME or --config config.json");
            ModelSpec spec;
            if (modelName is not null)
            {
                spec = ModelCatalog.Find(modelName);
                if (p.GetValue(parameters) is string ps) spec = spec with { Parameters = Units.ParseCount(ps, "--params") };
            }
            else
            {
                var cfg = ConfigReader.ReadFile(configPath!);
                double count = p.GetValue(parameters) is string ps
                    ? Units.ParseCount(ps, "--params")
                    : cfg.EstimatedParameters ?? throw new CliException("the config has no vocab_size / intermediate_size to estimate the parameter count; pass --params");
                spec = cfg.ToSpec(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath!))) is { Length: > 0 } n ? n : "config", count);
            }
            double mem = Units.ParseBytes(p.GetValue(memory), "--memory");
            double res = Units.ParseReserve(p.GetValue(reserve), mem);
            var plan = Planner.Plan(spec, p.GetValue(context), p.GetValue(batch), mem, res,
                KvDtype.Parse(p.GetValue(weightsDtype)), KvDtype.Parse(p.GetValue(kvDtype)));
            if (p.GetValue(json))
            {
                WriteJson(plan);
                return 0;
            }
            WritePlan(plan);
            return 0;
        }));
        return cmd;
    }

    private void WritePlan(PlanResult plan)
    {
        var m = plan.Model;
        _console.WriteLine($"{m.Name}: {m.Layers} layers, H = {m.Heads}, d = {m.HeadDim}, {Units.Params(m.Parameters)} parameters (model uses G = {m.KvHeads})");
        _console.WriteLine(
            $"context {plan.Context:N0}, batch {plan.Batch}, weights {plan.WeightsDtype} = {Units.Gb(plan.WeightsBytes)}, KV {plan.KvDtype}, reserve {Units.Gb(plan.ReserveBytes)}, memory {Units.Gb(plan.MemoryBytes)}");
        var table = new Table().AddColumns("G", "Heads/group", "KV cache", "Weights + KV + reserve", "Memory", "Fits");
        foreach (var r in plan.Rows)
        {
            string g = r.KvGroups.ToString(CultureInfo.InvariantCulture) + (r.KvGroups == m.Heads ? " (MHA)" : r.KvGroups == 1 ? " (MQA)" : "")
                + (r.IsModelLayout ? " *" : "");
            table.AddRow(Cells(g, r.HeadsPerGroup.ToString(CultureInfo.InvariantCulture), Units.Gb(r.CacheBytes), Units.Gb(r.TotalBytes),
                Units.Gb(plan.MemoryBytes), r.Fits ? "yes" : "no"));
        }
        _console.Write(table);
        _console.WriteLine("* the model's own layout");
        if (plan.RecommendedKvGroups is int best)
        {
            _console.WriteLine($"Recommended: G = {best} (largest that fits), {GqaAttention.AttributeLineFor(m.Heads, best, m.HeadDim)}");
        }
        else
        {
            _console.WriteLine("No G fits. Options:");
            foreach (var s in plan.Suggestions) _console.WriteLine($"  - {s.Text}");
        }
    }
}
