namespace GqaGen.Tests.Support;

/// <summary>Random seeds derived from a test case's identity, so every case draws different data and a failure reproduces exactly.</summary>
internal static class CaseSeed
{
    /// <summary>A seed for the given case parts. FNV-1a over their text, because <see cref="HashCode"/> and
    /// <see cref="string.GetHashCode()"/> are randomized per process and would make failures unreproducible.</summary>
    public static int For(params object[] parts)
    {
        uint hash = 2166136261;
        foreach (char c in string.Join('|', parts))
        {
            hash ^= c;
            hash *= 16777619;
        }
        return (int)(hash & int.MaxValue);
    }
}
