namespace GqaGen.Kernels;

/// <summary>
/// The width-specific steps of a prefill lane tile (GenericGqaKernel.PrefillLaneTile): the tile's query rows sit in the
/// lanes of two vectors, and Qᵀ, Sᵀ and Oᵀ are row-major with <see cref="Rows"/> floats per row. The tile calls these
/// as static members of a struct, so the JIT compiles one tile per width with the steps inlined or called directly.
/// </summary>
/// <remarks>The two implementations (Lanes512, Lanes256) are the same steps at two widths: their register tiles differ
/// (32 registers against 16), and .NET 10 has no public width-generic vector interface to write one over both.</remarks>
internal unsafe interface ILaneSteps
{
    /// <summary>Query rows (lanes) per tile: two vectors' worth.</summary>
    static abstract int Rows { get; }

    /// <summary>Whether this width's instructions are available (a JIT-time constant).</summary>
    static abstract bool Applies { get; }

    /// <summary>
    /// Writes Sᵀ (<paramref name="n"/> positions × <see cref="Rows"/>) for the block of K rows at
    /// <paramref name="keys"/> (fp32, <paramref name="d"/> apart) starting at position <paramref name="b"/>, −∞ where a
    /// lane may not see a position (lane r sees [laneFirst[r], laneLast[r]]; the masks are skipped when the block is
    /// <paramref name="inside"/> every lane's range), and each lane's maximum over the block into
    /// <paramref name="blockMax"/>. Reads K rows [0, n) only.
    /// </summary>
    static abstract void Scores(float* qT, float* keys, int d, int b, int n, bool inside, float* sT, int* laneLast, int* laneFirst, float* blockMax);

    /// <summary>
    /// The online softmax step per lane: new running max, Sᵀ replaced by exp(S − max) in place (positions [0, n)),
    /// running sum rescaled and added to, and the factor α that rescales what was accumulated before, into
    /// <paramref name="alpha"/>. A lane whose max is still −∞ (nothing visible yet) is shifted by 0, so its P and α
    /// are 0 and its sum and output, still 0, stay 0.
    /// </summary>
    static abstract void Softmax(float* sT, int n, float* runningMax, float* runningSum, float* blockMax, float* alpha);

    /// <summary><c>Oᵀ[i, ·] = Oᵀ[i, ·] · α + Σ_{p &lt; n} V_p[i] · Pᵀ[p, ·]</c> for every i &lt; d, V rows (fp32)
    /// <paramref name="d"/> apart at <paramref name="values"/>.</summary>
    static abstract void Values(float* oT, float* values, int d, int n, float* pT, float* alpha);
}
