using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GqaGen.Bench;

/// <summary>
/// What the bench's own commands (<c>decoder-versus</c>, <c>decode-alternated</c>) share on the command line: parsing
/// with the usage on an error (exit code 2, before any work) or on <c>--help</c> (exit code 0), and options taking
/// comma-separated lists.
/// </summary>
internal static class BenchCommandLine
{
    /// <summary>
    /// Parses <paramref name="args"/> as <paramref name="command"/>'s arguments. Returns the exit code when the command
    /// should not run: 2 after writing the errors and the usage to <paramref name="progress"/>, or the help's exit code
    /// after writing it to <paramref name="output"/>; <see langword="null"/> when it should, with
    /// <paramref name="parse"/> holding the values (and the culture made invariant for the tables).
    /// </summary>
    public static int? Parse(Command command, string[] args, TextWriter output, TextWriter progress, out ParseResult parse)
    {
        var root = new RootCommand("GqaGen benchmarks") { command };
        parse = root.Parse([command.Name, .. args]);
        if (parse.Errors.Count > 0)
            return Refuse(root, command, parse.Errors.Select(e => e.Message), progress);
        if (parse.Action is HelpAction)
            return parse.Invoke(new InvocationConfiguration { Output = output });

        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return null;
    }

    /// <summary>Refuses values that parsed but cannot run together: writes <paramref name="message"/> and the usage to
    /// <paramref name="progress"/> and returns the exit code 2.</summary>
    public static int Refuse(Command command, string message, TextWriter progress)
        => Refuse((RootCommand)command.Parents.Single(), command, [message], progress);

    private static int Refuse(RootCommand root, Command command, IEnumerable<string> messages, TextWriter progress)
    {
        foreach (string message in messages)
            progress.WriteLine(message);
        progress.WriteLine();
        root.Parse([command.Name, "--help"]).Invoke(new InvocationConfiguration { Output = progress });
        return 2;
    }

    /// <summary>An option taking one integer of at least 1 (a bad value fails the parse with the option's name).</summary>
    public static Option<int> PositiveInteger(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
                result.AddError($"{result.Option.Name} must be at least 1; got {result.GetValueOrDefault<int>()}.");
        });
        return option;
    }

    /// <summary>An option taking comma-separated positive integers up to <paramref name="maximum"/>, e.g. <c>--threads 1,2</c>.</summary>
    public static Option<int[]> PositiveIntegers(string name, string description, int[] defaults, int maximum = int.MaxValue) => new(name)
    {
        Description = $"{description} Default: {string.Join(',', defaults)}.",
        DefaultValueFactory = _ => defaults,
        CustomParser = result => List<int>(result, name,
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1 && value <= maximum ? value : null,
            (maximum == int.MaxValue ? "a positive integer" : $"an integer from 1 to {maximum}")
                + $". Give comma-separated values, e.g. {string.Join(',', defaults)}", $"e.g. {string.Join(',', defaults)}"),
    };

    /// <summary>An option taking comma-separated names from <paramref name="values"/> (each named by
    /// <paramref name="nameOf"/>), matched without regard to case, e.g. <c>--kv f32,f16</c>.</summary>
    public static Option<T[]> Names<T>(string name, string description, T[] values, Func<T, string> nameOf, T[] defaults)
        where T : struct => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaults,
        CustomParser = result => List<T>(result, name,
            text => values.Where(v => string.Equals(nameOf(v), text, StringComparison.OrdinalIgnoreCase)).Cast<T?>().FirstOrDefault(),
            $"one of {string.Join(", ", values.Select(nameOf))}", $"e.g. {string.Join(',', defaults.Select(nameOf))}"),
    };

    /// <summary>
    /// The comma-separated values of an option, each parsed by <paramref name="parse"/> (<see langword="null"/>: not
    /// valid), repeats dropped; an error names the option, the bad value and <paramref name="expected"/>, or, for an
    /// empty list, gives <paramref name="example"/>.
    /// </summary>
    public static T[] List<T>(ArgumentResult result, string name, Func<string, T?> parse, string expected, string example)
        where T : struct
    {
        string text = string.Join(',', result.Tokens.Select(t => t.Value));
        var values = new List<T>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (parse(part) is not { } value)
            {
                result.AddError($"{name} {text}: '{part}' is not {expected}.");
                return [];
            }
            if (!values.Contains(value))
                values.Add(value);
        }
        if (values.Count == 0)
            result.AddError($"{name} needs at least one value, {example}.");
        return [.. values];
    }
}
