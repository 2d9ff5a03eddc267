using System.Text;

namespace GqaGen.Generator.Emit;

/// <summary>
/// Deterministic, file-system-safe hint names: ASCII letters, digits and '.' pass through, '_' becomes "__"
/// and any other character "_uXXXX", so two different type names never share a hint name.
/// </summary>
internal static class HintNames
{
    public static string For(string fullName)
    {
        var name = new StringBuilder(fullName.Length);
        foreach (char c in fullName)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.')
                name.Append(c);
            else if (c == '_')
                name.Append("__");
            else if (c != '@')
                name.Append("_u").Append(((int)c).ToString("X4"));
        }
        return name.ToString();
    }
}
