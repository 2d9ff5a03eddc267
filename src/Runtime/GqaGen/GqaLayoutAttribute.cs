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

    /// <summary>
    /// The KV storage types to compile the decode drivers for (default: all four). The generated code has one driver per
    /// vector width, generic over the storage type; each type listed here is one more JIT instantiation of it. A cache of
    /// a type left out still decodes, through the generic kernel, and <see cref="GqaKernelRegistry"/> says so in its
    /// one-line warning. <c>CreateCache</c> defaults to Float32 when it is listed, else to the first type listed.
    /// </summary>
    /// <remarks>A constant of the enum, e.g. <c>KvElementTypes.Float16 | KvElementTypes.Q8_0</c> or <c>(KvElementTypes)10</c>.
    /// The generator reports GQA012 for anything else (a bare integer, another enum, a value that is not constant) and
    /// GQA013 for <see cref="KvElementTypes.None"/> or bits that name no storage type.</remarks>
    public KvElementTypes KvElementTypes { get; set; } = KvElementTypes.All;

    /// <summary>
    /// The sliding window W, if the model has one: a query at position p attends to positions p − W &lt; j ≤ p. The
    /// generated <c>CreateCache</c> makes rings of W slots per group (<see cref="KvCache.SlidingWindow"/>), and the
    /// generated <c>Decode</c> and <c>AppendKv</c> accept only caches with that window. Leave it out for no window: such a
    /// layout accepts any cache of its shape and applies the cache's own window, if any.
    /// </summary>
    /// <remarks>A positive constant int; the generator reports GQA011 for 0 or a negative value (0 means "none" only
    /// when the option is left out) and GQA007 for a value that is not a constant int.</remarks>
    public int SlidingWindow { get; set; }
}
