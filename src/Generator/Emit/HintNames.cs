using System.Text;

namespace GqaGen.Generator.Emit;

/// <summary>Deterministic, file-system-safe hint names: ASCII letters, digits, '.' and '_' pass through; anything else becomes _uXXXX.</summary>
internal static class HintNames
{
    public static string For(string fullName)
    {
        var name = new StringBuilder(fullName.Length);
        foreach (char c in fullName)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_')
                name.Append(c);
            else if (c != '@')
                name.Append("_u").Append(((int)c).ToString("X4"));
        }
        return name.ToString();
    }
}
