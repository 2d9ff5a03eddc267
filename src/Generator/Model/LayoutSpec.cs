namespace GqaGen.Generator.Model;

/// <summary>
/// Everything the emitter needs to generate kernels for one annotated type.
/// </summary>
/// <remarks>
/// This is the incremental pipeline's cache boundary: it holds only strings, ints, enums and value-equal arrays,
/// never an ISymbol, SyntaxNode, Compilation or Location, so an edit that leaves the layout unchanged
/// compares equal and skips emission.
/// </remarks>
/// <param name="Namespace">The type's namespace, or an empty string for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first (e.g. "partial class Models").</param>
/// <param name="TypeKeyword">"class", "struct", "record" or "record struct".</param>
/// <param name="TypeName">The annotated type's simple name.</param>
/// <param name="Heads">Query heads, H.</param>
/// <param name="KvGroups">K/V heads, G.</param>
/// <param name="HeadDim">Elements per head, d.</param>
/// <param name="KvElementTypes">The KV storage types the decode driver is instantiated for (never None); caches of
/// other types decode through the generic kernel.</param>
/// <param name="SlidingWindow">The sliding window W, or 0 for none: with a window, Decode and AppendKv accept only
/// caches of that window, and CreateCache makes rings of W slots.</param>
/// <param name="IsRegistrable">Whether code elsewhere in the assembly can name the type as a generic argument (a class
/// or struct that is not static, itself and every enclosing type public or internal), so the layout registry can list it.</param>
/// <param name="AllowsUnsafeCode">Whether the compilation allows unsafe code, so the kernels may carry [SkipLocalsInit]
/// (without it that attribute is error CS0227). A narrow fact taken from the compilation options, not from the declaration.</param>
internal sealed record LayoutSpec(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string TypeKeyword,
    string TypeName,
    int Heads,
    int KvGroups,
    int HeadDim,
    KvStorageTypes KvElementTypes = KvStorageTypes.All,
    int SlidingWindow = 0,
    bool IsRegistrable = true,
    bool AllowsUnsafeCode = false)
{
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>The fully qualified name used in hint names and comments, e.g. "Models.Llama3_8B".</summary>
    public string FullName
    {
        get
        {
            string prefix = Namespace.Length == 0 ? "" : Namespace + ".";
            foreach (string containing in ContainingTypes)
                prefix += containing.Substring(containing.LastIndexOf(' ') + 1) + ".";
            return prefix + TypeName;
        }
    }
}
