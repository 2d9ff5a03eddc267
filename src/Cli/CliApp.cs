using System.CommandLine;
using System.CommandLine.Help;
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
        if (parse.Action is HelpAction && parse.CommandResult.Command == root)
        {
            var help = new StringWriter();
            int code = parse.Invoke(new InvocationConfiguration { Output = help, Error = _err, EnableDefaultExceptionHandler = false });
            _out.Write(WithTitleFirst(help.ToString()));
            return code;
        }
        return parse.Invoke(new InvocationConfiguration { Output = _out, Error = _err, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The command users type, as the tool package installs it (ToolCommandName in GqaGen.Cli.csproj).</summary>
    public const string CommandName = "gqagen";

    private const string Summary = "KV-cache sizes, memory plans, config inspection and plots for grouped-query attention (GQA).";

    /// <summary>
    /// The root command, named <see cref="CommandName"/>. A <see cref="RootCommand"/> takes its name from the
    /// executable, GqaGen.Cli (the assembly cannot be called gqagen: assembly names are case-insensitive and it would
    /// clash with GqaGen.dll), so its usage lines would name a command nobody types; this is a plain
    /// <see cref="Command"/> with the options a RootCommand adds: help (for every subcommand too) and version.
    /// </summary>
    public Command BuildRoot()
    {
        var root = new Command(CommandName, $"{CommandName}: {Summary}")
        {
            Options = { new HelpOption { Recursive = true }, new VersionOption() },
        };
        root.Subcommands.Add(EstimateCommand());
        root.Subcommands.Add(PlanCommand());
        root.Subcommands.Add(InspectCommand());
        root.Subcommands.Add(PlotCommand());
        root.Subcommands.Add(HeatmapCommand());
        root.Subcommands.Add(ServeCommand());
        return root;
    }

    /// <summary>
    /// The tool's own help opens with its name and what it does ("gqagen: KV-cache sizes…"), as a tool's help
    /// should, rather than under a "Description:" heading: the heading is dropped and the description unindented.
    /// </summary>
    internal static string WithTitleFirst(string help)
    {
        var lines = help.ReplaceLineEndings("\n").Split('\n').ToList();
        if (lines.Count == 0 || lines[0].Trim() != "Description:")
            return help;
        lines.RemoveAt(0);
        for (int i = 0; i < lines.Count && lines[i].Length > 0; i++)
            lines[i] = lines[i].TrimStart();
        return string.Join(Environment.NewLine, lines);
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
