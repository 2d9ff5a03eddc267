using System.CommandLine;
using System.Globalization;
using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;
using GqaGen.Llama;
using GqaGen.Synthetic;
using Spectre.Console;

namespace GqaGen.Cli;

// `gqagen heatmap`: run a prompt through a model and draw one layer's cached K or V, one panel per K/V head.
public sealed partial class CliApp
{
    /// <summary>The prompt when none is given: a short sentence whose words the built-in model's vocabulary holds
    /// whole (it is learnt from the lighthouse story in SyntheticCorpus), so each row is a word. "the" comes twice: in
    /// layer 0 its two value rows are equal (V depends on the token alone) while its key rows differ (RoPE rotates
    /// keys by position).</summary>
    public const string DefaultHeatmapPrompt = "The keeper wrote the time in the log.";

    /// <summary>Longest prompt drawn, in tokens: beyond this a map's rows are thinner than a pixel.</summary>
    public const int MaxHeatmapTokens = 1024;

    public sealed record HeatmapLayoutInfo(int Heads, int KvGroups, int HeadDim, int HeadsPerGroup, string Attention);

    public sealed record HeatmapToken(int Position, int Id, string Text, string Label);

    public sealed record HeatmapGroup(int Group, IReadOnlyList<int> Heads, bool Drawn, double Min, double Max, double Mean);

    public sealed record HeatmapResult(string Path, int Width, int Height, string Model, bool BuiltIn, int Layer, int Layers, string Tensor,
        HeatmapLayoutInfo Layout, IReadOnlyList<HeatmapToken> Tokens, IReadOnlyList<HeatmapGroup> Groups, int PanelsDrawn, int Columns, int Rows,
        IReadOnlyList<int> LabelledTokens, string Caption, double ScaleMin, double ScaleMax);

    private Command HeatmapCommand()
    {
        var model = new Option<string?>("--model") { Description = "A llama-architecture GGUF model (default: the built-in tiny model with random weights)." };
        var prompt = new Option<string>("--prompt") { Description = "Text to run through the model.", DefaultValueFactory = _ => DefaultHeatmapPrompt };
        var layer = new Option<int>("--layer") { Description = "Layer whose cache to draw (0-based).", DefaultValueFactory = _ => 0 };
        var values = new Option<bool>("--values") { Description = "Draw the values (V) instead of the keys (K, after RoPE)." };
        var maxGroups = new Option<int>("--max-groups")
        {
            Description = "Draw only the first K/V heads (one panel each), at most this many.",
            DefaultValueFactory = _ => KvHeatmapPlotter.DefaultMaxGroups,
        };
        var output = new Option<string>("--out") { Description = "PNG file to write (its folder must exist).", Required = true };
        var json = JsonOption();
        var cmd = new Command("heatmap",
            "Run a prompt through a model and draw one layer's cached keys or values: a heat map per K/V head, naming the query heads that share it.")
        {
            model, prompt, layer, values, maxGroups, output, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            string text = p.GetValue(prompt) ?? "";
            if (string.IsNullOrWhiteSpace(text))
                throw new CliException("--prompt is empty; give some text to run through the model");
            int most = p.GetValue(maxGroups);
            if (most < 1 || most > KvHeatmapPlotter.MaxDrawableGroups)
                throw new CliException($"--max-groups must be within 1..{KvHeatmapPlotter.MaxDrawableGroups}; got {most}");
            string file = CheckWritablePng(p.GetValue(output)!);
            var tensor = p.GetValue(values) ? KvTensor.Values : KvTensor.Keys;
            var r = Heatmap(p.GetValue(model), text, p.GetValue(layer), tensor, most, file);
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            WriteHeatmapSummary(r, file);
            return 0;
        }));
        return cmd;
    }

    /// <summary>Loads the model, runs the prompt, and draws <paramref name="layer"/>'s keys or values to <paramref name="file"/>.</summary>
    private static HeatmapResult Heatmap(string? modelPath, string prompt, int layer, KvTensor tensor, int maxGroups, string file)
    {
        using var loaded = LoadHeatmapModel(modelPath);
        LlamaModel model = loaded.Model;
        LlamaConfig config = model.Config;
        if (layer < 0 || layer >= config.Layers)
            throw new CliException($"--layer {layer} is out of range: the model has {config.Layers} layers, 0..{config.Layers - 1}");

        IReadOnlyList<int> tokens = model.Tokenizer.Encode(prompt, addBos: true);
        if (tokens.Count > MaxHeatmapTokens)
            throw new CliException($"the prompt is {tokens.Count} tokens; the heat map draws at most {MaxHeatmapTokens}. Shorten --prompt");
        using LlamaSession session = model.CreateSession(tokens.Count);
        session.Prefill([.. tokens]);

        var maps = KvHeadMaps.FromCache(session.Cache, layer, tokens.Count, tensor);
        var labels = tokens.Select(id => TokenLabels.For(model.Tokenizer, id)).ToList();
        string attention = config.KvGroups == config.Heads ? "MHA" : config.KvGroups == 1 ? "MQA" : "GQA";
        string what = tensor == KvTensor.Keys ? "keys (after RoPE)" : "values";
        string title = $"{loaded.DisplayName} · layer {layer} · {what} · H = {config.Heads}, G = {config.KvGroups}, d = {config.HeadDim}";
        string subtitle = $"One panel per cached K/V head ({config.KvGroups}), naming the query heads that read it. Rows: prompt tokens; columns: head dimension.";
        string caption = HeatmapCaption(config.Heads, config.KvGroups, tensor, layer);
        var image = KvHeatmapPlotter.Render(file, maps, labels, title, subtitle, caption, maxGroups);
        var layout = KvHeatmapPlotter.Layout(maps, labels, maxGroups);

        var groups = Enumerable.Range(0, config.KvGroups).Select(g =>
        {
            KvMapStats s = maps.Stats(g);
            return new HeatmapGroup(g, [.. Enumerable.Range(g * config.HeadsPerGroup, config.HeadsPerGroup)], g < image.GroupsShown, s.Min, s.Max, s.Mean);
        }).ToList();
        var tokenInfo = tokens.Select((id, t) => new HeatmapToken(t, id, model.Tokenizer.TokenText(id), labels[t])).ToList();
        return new HeatmapResult(Path.GetFullPath(file), image.Width, image.Height, loaded.DisplayName, modelPath is null, layer, config.Layers,
            tensor == KvTensor.Keys ? "keys" : "values",
            new HeatmapLayoutInfo(config.Heads, config.KvGroups, config.HeadDim, config.HeadsPerGroup, attention),
            tokenInfo, groups, image.GroupsShown, image.Columns, image.Rows, layout.LabelledTokens, caption, image.ScaleMin, image.ScaleMax);
    }

    /// <summary>What the eye should see in the heat map, in two or three short lines.</summary>
    internal static string HeatmapCaption(int heads, int kvGroups, KvTensor tensor, int layer)
    {
        int perGroup = heads / kvGroups;
        string sharing = kvGroups == heads
            ? $"MHA: each of the {heads} query heads has its own K/V head, so the cache holds {heads} maps and every panel differs."
            : kvGroups == 1
                ? $"MQA: all {heads} query heads read this one K/V head; the layer's whole cache is this one map, 1/{heads} of MHA's."
                : $"GQA: the {perGroup} query heads named on a panel all read that one cached map, so the cache holds {kvGroups} maps, not {heads} (1/{perGroup} of MHA's).";
        string differ = kvGroups > 1 ? "\nPanels differ because each K/V head has its own projection weights." : "";
        string rows = tensor == KvTensor.Keys
            ? "\nKeys are rotated by position (RoPE): a token that repeats gets a different row each time."
            : layer == 0
                ? "\nIn layer 0 a value depends on the token alone: a token that repeats gets the same row each time."
                : "\nValues are not rotated, but past layer 0 they mix in earlier tokens, so a repeated token's rows differ.";
        return sharing + differ + rows;
    }

    private void WriteHeatmapSummary(HeatmapResult r, string file)
    {
        var l = r.Layout;
        _out.WriteLine(r.BuiltIn
            ? $"Model: {r.Model} (synthetic, random weights from a fixed seed; pass --model for a real GGUF model)"
            : $"Model: {r.Model}");
        _out.WriteLine($"Layout: {l.Attention}, H = {l.Heads} query heads, G = {l.KvGroups} K/V heads ({l.HeadsPerGroup} per group), d = {l.HeadDim}");
        _out.WriteLine($"Drawn: layer {r.Layer} (of 0..{r.Layers - 1}), {(r.Tensor == "keys" ? "keys after RoPE" : "values")}");
        _out.WriteLine($"Prompt: {r.Tokens.Count} tokens: {string.Join(" ", r.Tokens.Select(t => t.Label))}");
        var table = new Table().AddColumns("K/V head", "Query heads", "Min", "Max", "Mean", "Drawn");
        foreach (var g in r.Groups)
        {
            string heads = g.Heads.Count == 1 ? $"{g.Heads[0]}" : $"{g.Heads[0]}–{g.Heads[^1]}";
            table.AddRow(Cells(g.Group.ToString(CultureInfo.InvariantCulture), heads, Stat(g.Min), Stat(g.Max), Stat(g.Mean), g.Drawn ? "yes" : "no"));
        }
        _console.Write(table);
        _out.WriteLine($"Wrote {file} ({r.Width}×{r.Height}): {r.PanelsDrawn} of {l.KvGroups} K/V heads, one panel each, {r.Columns}×{r.Rows} grid, "
            + $"{r.LabelledTokens.Count} of {r.Tokens.Count} tokens labelled, colour scale {Stat(r.ScaleMin)}..{Stat(r.ScaleMax)}");
        _out.WriteLine($"Caption: {r.Caption.Replace("\n", " ", StringComparison.Ordinal)}");
    }

    private static string Stat(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Checks, before any model is loaded, that <paramref name="path"/> names a file in an existing, writable
    /// folder; returns it unchanged.</summary>
    private static string CheckWritablePng(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliException($"--out '{path}' is not a usable file path: {e.Message}");
        }
        if (Directory.Exists(full))
            throw new CliException($"--out '{path}' is a directory; give a file name such as {Path.Combine(path, "keys.png")}");
        string folder = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(folder))
            throw new CliException($"--out folder '{folder}' does not exist; create it first");
        try
        {
            // A throw-away file: proves the folder is writable without touching the target.
            using var probe = new FileStream(Path.Combine(folder, $".gqagen-heatmap-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write to --out folder '{folder}': {e.Message}");
        }
        return path;
    }

    /// <summary>The model to draw, and what owns it.</summary>
    private sealed class HeatmapModel(LlamaModel model, GgufFile? file, string displayName) : IDisposable
    {
        public LlamaModel Model { get; } = model;

        public string DisplayName { get; } = displayName;

        public void Dispose()
        {
            Model.Dispose();
            file?.Dispose();
        }
    }

    /// <summary>The built-in tiny model when <paramref name="path"/> is null, else the GGUF file there; a file that is
    /// missing, not GGUF, or not a model this decoder runs becomes one error line.</summary>
    private static HeatmapModel LoadHeatmapModel(string? path)
    {
        // An fp32 cache, so that the maps show the K/V values the model computed, not their rounding to a storage type.
        var options = new LlamaModelOptions { Threads = Math.Min(Environment.ProcessorCount, 8), KvElementType = KvElementType.Float32 };
        if (path is null)
        {
            var file = GgufFile.Parse(SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn));
            try
            {
                return new HeatmapModel(LlamaModel.Load(file, options), file, "built-in tiny model");
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        if (Directory.Exists(path))
            throw new CliException($"--model '{path}' is a directory; give a .gguf file");
        if (!File.Exists(path))
            throw new CliException($"--model file '{path}' not found");
        try
        {
            var model = LlamaModel.Load(path, options);
            return new HeatmapModel(model, null, model.Name ?? Path.GetFileName(path));
        }
        catch (Exception e) when (e is GgufFormatException or InvalidDataException or NotSupportedException or GgufTokenizerException
            or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot load model '{path}': {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
