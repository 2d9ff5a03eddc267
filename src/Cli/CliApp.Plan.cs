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
        var weightsDtype = new Option<string?>("--weights-dtype")
        {
            Description = $"Weight element type: {KvDtype.HelpText}. Default: a GGUF file's real tensor sizes, else bf16.",
        };
        var kvDtype = new Option<string?>("--kv-dtype")
        {
            Description = $"KV-cache element type: {KvDtype.HelpText}. Default: the model's serving dtype (bf16/fp16; f16 for GGUF).",
        };
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
            ModelConfig spec = modelName is not null ? ModelCatalog.Find(modelName) : ConfigReader.ReadFile(configPath!);
            if (p.GetValue(parameters) is string ps)
            {
                double count = Units.ParseCount(ps, "--params");
                spec = spec with { Parameters = new ParameterCount(count, count, null), WeightBytes = null };
            }
            double mem = Units.ParseBytes(p.GetValue(memory), "--memory");
            double res = Units.ParseReserve(p.GetValue(reserve), mem);
            var plan = Planner.Plan(spec, p.GetValue(context), p.GetValue(batch), mem, res,
                p.GetValue(weightsDtype) is string wd ? KvDtype.Parse(wd) : null, p.GetValue(kvDtype) is string kd ? KvDtype.Parse(kd) : null);
            foreach (string warning in plan.Warnings) _err.WriteLine($"warning: {warning}");
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
        string layout = m.Attention == "MLA"
            ? $"MLA: {m.LatentElementsPerLayer} latent elements per token and layer"
            : $"model uses G = {m.KvHeads}";
        string window = m.SlidingWindow is int w ? $", window {w:N0} on {m.WindowedLayers} of {m.Layers} layers" : "";
        string active = m.ActiveParameters is double a ? $" ({Units.Params(a)} active per token)" : "";
        _console.WriteLine($"{m.Name}: {m.Layers} layers, H = {m.Heads}, d = {m.HeadDim}, {Units.Params(m.Parameters)} parameters{active} ({layout}{window})");
        _console.WriteLine(
            $"context {plan.Context:N0}, batch {plan.Batch}, weights {Units.Gb(plan.WeightsBytes)} ({plan.WeightsNote}), KV {plan.KvDtypeNote}, reserve {Units.Gb(plan.ReserveBytes)}, memory {Units.Gb(plan.MemoryBytes)}");
        var table = new Table().AddColumns("Layout", "Heads/group", "KV cache", "Weights + KV + reserve", "Memory", "Fits");
        foreach (var r in plan.Rows)
        {
            string g = r.KvGroups is int groups
                ? $"G = {groups}" + (groups == m.Heads ? " (MHA)" : groups == 1 ? " (MQA)" : "")
                : $"MLA latent ({m.LatentElementsPerLayer} elements)";
            table.AddRow(Cells(g + (r.IsModelLayout ? " *" : ""), r.HeadsPerGroup?.ToString(CultureInfo.InvariantCulture) ?? "-",
                Units.Gb(r.CacheBytes), Units.Gb(r.TotalBytes), Units.Gb(plan.MemoryBytes), r.Fits ? "yes" : "no"));
        }
        _console.Write(table);
        _console.WriteLine("* the model's own layout");
        if (m.Attention == "MLA")
        {
            _console.WriteLine($"The model's own MLA cache {(plan.ModelLayoutFits ? "fits" : "does not fit")}. The G rows are hypothetical: "
                + "the same heads with a GQA cache of K (d = " + m.HeadDim + ") and V (d = " + m.ValueHeadDim + ") per K/V head. "
                + "GqaGen generates GQA kernels only, so there is no [GqaLayout] line for this model.");
            if (!plan.ModelLayoutFits)
            {
                _console.WriteLine("Options:");
                foreach (var s in plan.Suggestions) _console.WriteLine($"  - {s.Text}");
            }
            return;
        }
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
