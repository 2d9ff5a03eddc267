using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen inspect`: the layout a Hugging Face config.json declares.
public sealed partial class CliApp
{
    public sealed record InspectResult(string? ModelType, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, int HeadsPerGroup,
        string Attention, int? MaxContext, int? SlidingWindow, string Dtype, string? TorchDtype, double KvBytesPerToken,
        double? KvBytesAtMaxContext, string Layout);

    public static InspectResult Inspect(ModelConfig c)
    {
        double perToken = KvCacheMath.BytesPerToken(c.Layers, c.KvHeads, c.HeadDim, c.Dtype);
        string attention = c.KvHeads == c.Heads ? "MHA" : c.KvHeads == 1 ? "MQA" : "GQA";
        return new InspectResult(c.ModelType, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.HeadDim, c.HeadsPerGroup, attention, c.MaxContext,
            c.SlidingWindow, c.Dtype.Name, c.TorchDtype, perToken, c.MaxContext is int mc ? perToken * mc : null,
            GqaAttention.AttributeLineFor(c.Heads, c.KvHeads, c.HeadDim));
    }

    private Command InspectCommand()
    {
        var path = new Argument<string>("path") { Description = "A Hugging Face config.json or a GGUF model file (*.gguf)." };
        var json = JsonOption();
        var cmd = new Command("inspect", "Attention layout, KV bytes per token and the [GqaLayout] line for a Hugging Face config.json.")
        {
            path, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            var r = Inspect(ConfigReader.ReadFile(p.GetValue(path)!));
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            var grid = new Table().AddColumns("Field", "Value");
            void Add(string k, string v) => grid.AddRow(Cells(k, v));
            if (r.ModelType is not null) Add("model_type", r.ModelType);
            Add("Attention", $"{r.Attention}: {r.Heads} query heads, {r.KvHeads} KV heads");
            Add("Heads per group", r.HeadsPerGroup.ToString(CultureInfo.InvariantCulture));
            Add("Head dim", r.HeadDim.ToString(CultureInfo.InvariantCulture));
            Add("Hidden size", r.Hidden.ToString(CultureInfo.InvariantCulture));
            Add("Layers", r.Layers.ToString(CultureInfo.InvariantCulture));
            Add("Max context", r.MaxContext is int mc ? mc.ToString("N0", CultureInfo.InvariantCulture) : "not in config");
            Add("Sliding window", r.SlidingWindow is int sw ? sw.ToString("N0", CultureInfo.InvariantCulture) : "none");
            Add("KV dtype", r.TorchDtype is null ? $"{r.Dtype} (torch_dtype absent; Hugging Face default float32)" : $"{r.Dtype} (torch_dtype {r.TorchDtype})");
            Add("KV bytes per token", $"{Units.Bytes(r.KvBytesPerToken)} B ({Units.Human(r.KvBytesPerToken)})");
            if (r.KvBytesAtMaxContext is double atMax)
                Add("KV bytes at max context", $"{Units.Bytes(atMax)} B ({Units.Gb(atMax)}, {Units.GiBText(atMax)}) per sequence");
            if (r.SlidingWindow is int w && r.MaxContext is int m2 && w < m2)
            {
                double windowed = r.KvBytesPerToken * w;
                Add("KV bytes with window", $"{Units.Bytes(windowed)} B ({Units.Gb(windowed)}) per sequence (rolling cache of {w:N0} tokens)");
            }
            _console.Write(grid);
            _console.WriteLine(r.Layout);
            return 0;
        }));
        return cmd;
    }
}
