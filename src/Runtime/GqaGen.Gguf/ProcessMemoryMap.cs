using System.Globalization;

namespace GqaGen.Gguf;

/// <summary>Reads this process's memory map (Linux <c>/proc/self/smaps</c>) to tell how much of an address range is
/// backed by 2 MiB pages: the proof that a huge-page request took effect.</summary>
internal static class ProcessMemoryMap
{
    /// <summary>Bytes in huge pages (anonymous <c>AnonHugePages</c> and file-backed <c>FilePmdMapped</c>) of the
    /// mappings that lie within [<paramref name="start"/>, <paramref name="end"/>), or null if smaps cannot be read.</summary>
    public static long? HugePageBytes(nuint start, nuint end)
    {
        try
        {
            long total = 0;
            bool inside = false;
            foreach (string line in File.ReadLines("/proc/self/smaps"))
            {
                int dash = line.IndexOf('-');
                int space = line.IndexOf(' ');
                if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
                {
                    // A mapping's header: "7f…000-7f…000 r--p 00000000 08:01 1234 /path".
                    nuint from = nuint.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    nuint to = nuint.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    inside = from >= start && to <= end;
                    continue;
                }
                if (inside && (line.StartsWith("AnonHugePages:", StringComparison.Ordinal) || line.StartsWith("FilePmdMapped:", StringComparison.Ordinal)))
                    total += 1024 * long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        return text.Length > 0;
    }
}
