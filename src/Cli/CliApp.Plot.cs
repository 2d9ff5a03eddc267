using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen plot`: KV cache size against context length as a PNG.
public sealed partial class CliApp
{
    public sealed record PlotResult(string Path, int Width, int Height, int Layers, int Heads, int HeadDim, string Dtype, long Batch,
        long MaxContext, string YScale, double Spread, IReadOnlyList<PlotSeries> Series);

    private Command PlotCommand()
    {
        var hidden = new Option<int>("--hidden") { Description = "Model (hidden) size.", Required = true };
        var heads = new Option<int>("--heads") { Description = "Query heads H.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer layers.", Required = true };
        var headDim = new Option<int?>("--head-dim") { Description = "Head dimension d (default hidden / heads)." };
        var dtype = DtypeOption("--dtype", "bf16", "KV-cache");
        var batch = new Option<long>("--batch") { Description = "Sequences held at once.", DefaultValueFactory = _ => 1 };
        var maxContext = new Option<long>("--max-context") { Description = "Right end of the context axis.", DefaultValueFactory = _ => 131072 };
        var yScale = new Option<string>("--y-scale")
        {
            Description = "KV-size axis: linear (GB from zero), log (bytes, log scale), or auto: log when the largest line ends more "
                + $"than {KvPlotter.AutoLogSpread:0}× above the smallest (so whenever H > {KvPlotter.AutoLogSpread:0}, MHA against MQA).",
            DefaultValueFactory = _ => "auto",
        };
        yScale.AcceptOnlyFromAmong("auto", "linear", "log");
        var output = new Option<string>("--out") { Description = "PNG file to write.", Required = true };
        var json = JsonOption();
        var cmd = new Command("plot", "PNG chart of KV-cache size against context length for MHA and each divisor G of H.")
        {
            hidden, heads, layers, headDim, dtype, batch, maxContext, yScale, output, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            int h = p.GetValue(heads);
            int d = KvCacheMath.ResolveHeadDim(p.GetValue(hidden), h, p.GetValue(headDim));
            int l = p.GetValue(layers);
            Validate.Positive(l, "--layers");
            var dt = KvDtype.Parse(p.GetValue(dtype));
            string file = p.GetValue(output)!;
            var scale = KvPlotter.ParseYScale(p.GetValue(yScale));
            var image = KvPlotter.Render(file, l, h, d, dt, p.GetValue(batch), p.GetValue(maxContext), scale);
            var series = image.Series;
            var r = new PlotResult(Path.GetFullPath(file), KvPlotter.Width, KvPlotter.Height, l, h, d, dt.Name, p.GetValue(batch),
                p.GetValue(maxContext), image.YScale == KvYScale.Log ? "log" : "linear", image.Spread, series);
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            string why = scale != KvYScale.Auto ? "as asked"
                : image.YScale == KvYScale.Log ? string.Create(CultureInfo.InvariantCulture, $"auto: the lines span {r.Spread:0.##}×, over {KvPlotter.AutoLogSpread:0}×")
                : string.Create(CultureInfo.InvariantCulture, $"auto: the lines span {r.Spread:0.##}×, not over {KvPlotter.AutoLogSpread:0}×");
            _out.WriteLine($"Wrote {file} ({r.Width}×{r.Height}), {r.YScale} y axis ({why})");
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"At {r.MaxContext:N0} tokens: {string.Join(", ", series.Select(s => $"{s.Label} {Units.Gb(s.BytesAtMaxContext)}"))}"));
            return 0;
        }));
        return cmd;
    }
}
