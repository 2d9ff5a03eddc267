using System.Globalization;
using System.Text.RegularExpressions;

namespace GqaGen.Cli;

/// <summary>Parsing and formatting of byte sizes, counts and percentages (always invariant culture).</summary>
public static partial class Units
{
    public const double GB = 1e9;
    public const double GiB = 1024.0 * 1024.0 * 1024.0;

    [GeneratedRegex(@"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")]
    private static partial Regex SizePattern();

    /// <summary>Parses 80GB, 80 GiB, 8e10, 512MB, 1.5TB, 80G (= GB) into bytes.</summary>
    public static double ParseBytes(string? text, string what)
    {
        var m = SizePattern().Match(text ?? "");
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new CliException($"cannot read {what} '{text}' (examples: 80GB, 80GiB, 8e10)");
        double scale = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" => 1e3,
            "m" or "mb" => 1e6,
            "g" or "gb" => 1e9,
            "t" or "tb" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024,
            "gib" => GiB,
            "tib" => GiB * 1024,
            _ => throw new CliException($"unknown unit '{m.Groups[2].Value}' in {what} '{text}' (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"),
        };
        double bytes = value * scale;
        Validate.Positive(bytes, what);
        return bytes;
    }

    /// <summary>Parses a parameter count: 13e9, 13B, 1.1B, 500M, 13000000000.</summary>
    public static double ParseCount(string? text, string what)
    {
        var m = SizePattern().Match(text ?? "");
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new CliException($"cannot read {what} '{text}' (examples: 13e9, 13B, 500M)");
        double scale = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "" => 1,
            "k" => 1e3,
            "m" => 1e6,
            "b" or "g" => 1e9,
            "t" => 1e12,
            _ => throw new CliException($"unknown suffix '{m.Groups[2].Value}' in {what} '{text}' (use K, M, B, T)"),
        };
        double count = value * scale;
        Validate.Positive(count, what);
        return count;
    }

    /// <summary>Parses a reserve: "10%" or "0.1" is a fraction of memory; "4GB" is an absolute size.</summary>
    public static double ParseReserve(string? text, double memoryBytes)
    {
        string t = (text ?? "").Trim();
        double fraction;
        if (t.EndsWith('%'))
        {
            if (!double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double pct))
                throw new CliException($"cannot read --reserve '{text}' (examples: 10%, 0.1, 4GB)");
            fraction = pct / 100;
        }
        else if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && f < 1)
        {
            fraction = f;
        }
        else
        {
            return Math.Min(ParseBytes(t, "--reserve"), double.MaxValue);
        }
        if (fraction < 0 || fraction >= 1)
            throw new CliException($"--reserve must be between 0% and 100% (got {text})");
        return fraction * memoryBytes;
    }

    public static string Gb(double bytes) => (bytes / GB).ToString("F2", CultureInfo.InvariantCulture) + " GB";
    public static string GiBText(double bytes) => (bytes / GiB).ToString("F2", CultureInfo.InvariantCulture) + " GiB";
    public static string Int(double value) => Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);
    public static string Bytes(double bytes) =>
        bytes == Math.Floor(bytes) ? Int(bytes) : bytes.ToString("N1", CultureInfo.InvariantCulture);

    /// <summary>Human-readable size: KB/MB/GB with decimal units.</summary>
    public static string Human(double bytes) => bytes switch
    {
        >= 1e9 => Gb(bytes),
        >= 1e6 => (bytes / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " MB",
        >= 1e3 => (bytes / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString("0.##", CultureInfo.InvariantCulture) + " B",
    };

    public static string Params(double count) => count switch
    {
        >= 1e9 => (count / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "B",
        _ => (count / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
    };
}
