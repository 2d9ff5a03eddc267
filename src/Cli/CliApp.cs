using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace GqaGen.Cli;

/// <summary>
/// The gqagen command tree. Output goes to the given writers so tests run commands in-process; every input
/// error becomes one line on stderr and exit code 1.
/// </summary>
public sealed class CliApp
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly IAnsiConsole _console;

    public CliApp(TextWriter stdout, TextWriter stderr, IAnsiConsole? console = null)
    {
        _out = stdout;
        _err = stderr;
        _console = console ?? CreatePlainConsole(stdout);
    }

    /// <summary>A colourless, fixed-width Spectre console over a writer (tests, redirected output).</summary>
    public static IAnsiConsole CreatePlainConsole(TextWriter writer, int width = 160)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Profile.Capabilities.Unicode = true;
        return console;
    }

    /// <summary>Runs one command line and returns its exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IAnsiConsole? console = null) =>
        new CliApp(stdout, stderr, console).Invoke(args);

    public int Invoke(string[] args)
    {
        // Numbers are always printed the same way (1,234.56), whatever the machine's culture.
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return InvokeCore(args);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    private int InvokeCore(string[] args)
    {
        var root = BuildRoot();
        if (args.Length == 0) args = ["--help"];
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Most specific first ("Unrecognized command or argument 'x'" before "Required command was not provided").
            var messages = parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ")).Distinct()
                .OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal) ? 1 : 0);
            _err.WriteLine($"error: {messages.First()}");
            return 1;
        }
        return parse.Invoke(new InvocationConfiguration { Output = _out, Error = _err, EnableDefaultExceptionHandler = false });
    }

    public RootCommand BuildRoot()
    {
        var root = new RootCommand("gqagen: KV-cache sizes, memory plans, config inspection and plots for grouped-query attention (GQA).");
        root.Subcommands.Add(EstimateCommand());
        root.Subcommands.Add(PlanCommand());
        root.Subcommands.Add(InspectCommand());
        root.Subcommands.Add(PlotCommand());
        return root;
    }

    private int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (CliException e)
        {
            _err.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            _err.WriteLine($"error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    private void WriteJson<T>(T value) => _out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    private static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON to stdout instead of a table." };

    private static Option<string> DtypeOption(string name, string defaultValue, string what) => new(name)
    {
        Description = $"{what} element type: {KvDtype.HelpText}.",
        DefaultValueFactory = _ => defaultValue,
    };

    // ---------------------------------------------------------------- estimate

    public sealed record EstimateRow(string Attention, int KvGroups, double BytesPerToken, double TotalBytes, double Gb, double Gib,
        double RatioVsMha, double SavingPercent);

    public sealed record EstimateResult(int Hidden, int Heads, int HeadDim, int Layers, long Context, long Batch, string Dtype,
        double BytesPerElement, IReadOnlyList<EstimateRow> Rows);

    public static EstimateResult Estimate(int hidden, int heads, int layers, long context, int kvGroups, long batch, KvDtype dtype, int? headDim)
    {
        int d = KvCacheMath.ResolveHeadDim(hidden, heads, headDim);
        Validate.Positive(layers, "--layers");
        Validate.Positive(context, "--context");
        Validate.Positive(batch, "--batch");
        KvCacheMath.CheckGroups(heads, kvGroups);
        double mha = KvCacheMath.TotalBytes(layers, heads, d, context, batch, dtype);
        EstimateRow Row(string name, int g)
        {
            double total = KvCacheMath.TotalBytes(layers, g, d, context, batch, dtype);
            return new EstimateRow(name, g, KvCacheMath.BytesPerToken(layers, g, d, dtype), total, total / Units.GB, total / Units.GiB,
                mha / total, (1 - total / mha) * 100);
        }
        return new EstimateResult(hidden, heads, d, layers, context, batch, dtype.Name, dtype.BytesPerElement,
            [Row("MHA", heads), Row("GQA", kvGroups), Row("MQA", 1)]);
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
        var json = JsonOption();
        var cmd = new Command("estimate",
            "KV-cache size for MHA (G = H), the given GQA and MQA (G = 1): bytes = 2 · layers · G · d · context · batch · bytes per element.")
        {
            hidden, heads, layers, context, groups, batch, dtype, headDim, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            var r = Estimate(p.GetValue(hidden), p.GetValue(heads), p.GetValue(layers), p.GetValue(context), p.GetValue(groups),
                p.GetValue(batch), KvDtype.Parse(p.GetValue(dtype)), p.GetValue(headDim));
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
                    row.Attention, row.KvGroups.ToString(CultureInfo.InvariantCulture), Units.Bytes(row.BytesPerToken) + " B",
                    Units.Bytes(row.TotalBytes), Units.Gb(row.TotalBytes), Units.GiBText(row.TotalBytes),
                    row.RatioVsMha.ToString("F2", CultureInfo.InvariantCulture) + "×",
                    row.SavingPercent.ToString("F2", CultureInfo.InvariantCulture) + "%"));
            }
            _console.Write(table);
            return 0;
        }));
        return cmd;
    }

    private static string KvDtypeBytes(double b) => b.ToString("0.####", CultureInfo.InvariantCulture);

    private static Spectre.Console.Rendering.IRenderable[] Cells(params string[] texts) =>
        texts.Select(t => (Spectre.Console.Rendering.IRenderable)new Text(t)).ToArray();

    // ---------------------------------------------------------------- plan

    private Command PlanCommand()
    {
        var model = new Option<string?>("--model") { Description = $"A built-in model: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}." };
        var config = new Option<string?>("--config") { Description = "A Hugging Face config.json instead of --model." };
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
            _console.WriteLine($"Recommended: G = {best} (largest that fits), [GqaLayout(Heads = {m.Heads}, KvGroups = {best}, HeadDim = {m.HeadDim})]");
        }
        else
        {
            _console.WriteLine("No G fits. Options:");
            foreach (var s in plan.Suggestions) _console.WriteLine($"  - {s.Text}");
        }
    }

    // ---------------------------------------------------------------- inspect

    public sealed record InspectResult(string? ModelType, int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, int HeadsPerGroup,
        string Attention, int? MaxContext, int? SlidingWindow, string Dtype, string? TorchDtype, double KvBytesPerToken,
        double? KvBytesAtMaxContext, string Layout);

    public static InspectResult Inspect(ModelConfig c)
    {
        double perToken = KvCacheMath.BytesPerToken(c.Layers, c.KvHeads, c.HeadDim, c.Dtype);
        string attention = c.KvHeads == c.Heads ? "MHA" : c.KvHeads == 1 ? "MQA" : "GQA";
        return new InspectResult(c.ModelType, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.HeadDim, c.HeadsPerGroup, attention, c.MaxContext,
            c.SlidingWindow, c.Dtype.Name, c.TorchDtype, perToken, c.MaxContext is int mc ? perToken * mc : null,
            $"[GqaLayout(Heads = {c.Heads}, KvGroups = {c.KvHeads}, HeadDim = {c.HeadDim})]");
    }

    private Command InspectCommand()
    {
        var path = new Argument<string>("path") { Description = "A Hugging Face config.json (GGUF is not supported yet)." };
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

    // ---------------------------------------------------------------- plot

    public sealed record PlotResult(string Path, int Width, int Height, int Layers, int Heads, int HeadDim, string Dtype, long Batch,
        long MaxContext, IReadOnlyList<PlotSeries> Series);

    private Command PlotCommand()
    {
        var hidden = new Option<int>("--hidden") { Description = "Model (hidden) size.", Required = true };
        var heads = new Option<int>("--heads") { Description = "Query heads H.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer layers.", Required = true };
        var headDim = new Option<int?>("--head-dim") { Description = "Head dimension d (default hidden / heads)." };
        var dtype = DtypeOption("--dtype", "bf16", "KV-cache");
        var batch = new Option<long>("--batch") { Description = "Sequences held at once.", DefaultValueFactory = _ => 1 };
        var maxContext = new Option<long>("--max-context") { Description = "Right end of the context axis.", DefaultValueFactory = _ => 131072 };
        var output = new Option<string>("--out") { Description = "PNG file to write.", Required = true };
        var json = JsonOption();
        var cmd = new Command("plot", "PNG chart of KV-cache size (GB) against context length for MHA and each divisor G of H.")
        {
            hidden, heads, layers, headDim, dtype, batch, maxContext, output, json,
        };
        cmd.SetAction(p => Guard(() =>
        {
            int h = p.GetValue(heads);
            int d = KvCacheMath.ResolveHeadDim(p.GetValue(hidden), h, p.GetValue(headDim));
            int l = p.GetValue(layers);
            Validate.Positive(l, "--layers");
            var dt = KvDtype.Parse(p.GetValue(dtype));
            string file = p.GetValue(output)!;
            var series = KvPlotter.Render(file, l, h, d, dt, p.GetValue(batch), p.GetValue(maxContext));
            var r = new PlotResult(Path.GetFullPath(file), KvPlotter.Width, KvPlotter.Height, l, h, d, dt.Name, p.GetValue(batch),
                p.GetValue(maxContext), series);
            if (p.GetValue(json))
            {
                WriteJson(r);
                return 0;
            }
            _out.WriteLine($"Wrote {file} ({r.Width}×{r.Height}): {string.Join(", ", series.Select(s => $"{s.Label} {Units.Gb(s.BytesAtMaxContext)}"))} at {r.MaxContext:N0} tokens");
            return 0;
        }));
        return cmd;
    }
}
