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
public sealed partial class CliApp
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
        root.Subcommands.Add(HeatmapCommand());
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

    private static string KvDtypeBytes(double b) => b.ToString("0.####", CultureInfo.InvariantCulture);

    private static Spectre.Console.Rendering.IRenderable[] Cells(params string[] texts) =>
        texts.Select(t => (Spectre.Console.Rendering.IRenderable)new Text(t)).ToArray();
}
