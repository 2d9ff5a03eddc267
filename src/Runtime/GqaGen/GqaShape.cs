namespace GqaGen;

/// <summary>
/// The shape of one grouped-query attention layer: <see cref="Heads"/> query heads sharing
/// <see cref="KvGroups"/> K/V heads of <see cref="HeadDim"/> elements each.
/// </summary>
public readonly record struct GqaShape
{
    /// <summary>Largest supported head dimension (the generator rejects larger ones with GQA003).</summary>
    public const int MaxHeadDim = GqaKernelNumbers.MaxHeadDim;

    /// <summary>Largest supported number of query heads (keeps per-call scratch on the stack).</summary>
    public const int MaxHeads = GqaKernelNumbers.MaxHeads;

    /// <summary>Creates a shape, checking that every size is positive and that <paramref name="kvGroups"/> divides <paramref name="heads"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or is above its maximum.</exception>
    /// <exception cref="ArgumentException"><paramref name="kvGroups"/> does not divide <paramref name="heads"/>.</exception>
    public GqaShape(int heads, int kvGroups, int headDim)
    {
        if (heads is <= 0 or > MaxHeads)
            throw new ArgumentOutOfRangeException(nameof(heads), heads, $"Heads must be between 1 and {MaxHeads}; got {heads}.");
        if (kvGroups <= 0)
            throw new ArgumentOutOfRangeException(nameof(kvGroups), kvGroups, $"KvGroups must be at least 1; got {kvGroups}.");
        if (headDim is <= 0 or > MaxHeadDim)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"HeadDim must be between 1 and {MaxHeadDim}; got {headDim}.");
        if (heads % kvGroups != 0)
            throw new ArgumentException($"KvGroups ({kvGroups}) must divide Heads ({heads}): each K/V head serves Heads / KvGroups query heads.", nameof(kvGroups));

        Heads = heads;
        KvGroups = kvGroups;
        HeadDim = headDim;
    }

    /// <summary>Number of query heads, H.</summary>
    public int Heads { get; }

    /// <summary>Number of K/V heads, G.</summary>
    public int KvGroups { get; }

    /// <summary>Elements per head, d.</summary>
    public int HeadDim { get; }

    /// <summary>Query heads that share one K/V head, H / G.</summary>
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>Floats in one token's query or attention output, H · d.</summary>
    public int QueryLength => Heads * HeadDim;

    /// <summary>Floats in one token's K (or V) across all groups, G · d.</summary>
    public int KvLength => KvGroups * HeadDim;

    /// <summary>The softmax scale 1/√d applied to every score, correctly rounded (the generated kernels' Scale is the same value).</summary>
    public float Scale => GqaKernelNumbers.Scale(HeadDim);

    /// <inheritdoc/>
    public override string ToString() => $"H={Heads}, G={KvGroups}, d={HeadDim}";
}
