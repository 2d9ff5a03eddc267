namespace GqaGen;

/// <summary>
/// Declares the grouped-query attention layout of a model. Put it on a <c>partial</c> class or struct and the
/// GqaGen source generator emits, for exactly that layout, AVX-512, AVX2 and scalar decode-attention and
/// KV-append kernels, and makes the type implement <see cref="IGqaKernel"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Heads"/> query heads share <see cref="KvGroups"/> K/V heads, <c>Heads / KvGroups</c> per group.
/// Multi-head attention is <c>KvGroups == Heads</c>; multi-query attention is <c>KvGroups == 1</c>.</para>
/// <para>The attribute is a plain class in the runtime assembly (not generator output) so that every assembly
/// sees one type, the generated code can bind to the runtime's cache and interface, and new named options
/// (KV storage types, sliding window…) can be added without breaking existing uses.</para>
/// <para><c>AllowMultiple</c> is true only so that a second layout on one type is reported by the generator as
/// GQA008, with a message that says what to do, rather than as the compiler's generic CS0579.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class GqaLayoutAttribute : Attribute
{
    /// <summary>Number of query heads, H.</summary>
    public int Heads { get; set; }

    /// <summary>Number of K/V heads, G (one per group of <c>Heads / KvGroups</c> query heads).</summary>
    public int KvGroups { get; set; }

    /// <summary>Elements per head, d (1 to <see cref="GqaShape.MaxHeadDim"/>).</summary>
    public int HeadDim { get; set; }

    /// <summary>The KV storage types to generate kernels for (default: all). A cache of another type still decodes,
    /// through the generic kernel, and <see cref="GqaKernelRegistry"/> says so in its one-line warning.</summary>
    public KvElementTypes KvElementTypes { get; set; } = KvElementTypes.All;

    /// <summary>The sliding window W, or 0 (the default) for none: a query at position p attends to positions
    /// p − W &lt; j ≤ p, and the layout's caches are rings of W positions per group (<see cref="KvCache.SlidingWindow"/>).</summary>
    public int SlidingWindow { get; set; }
}
