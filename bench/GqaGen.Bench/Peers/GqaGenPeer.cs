namespace GqaGen.Bench.Peers;

/// <summary>
/// GqaGen's own kernels in the peer benchmark: a <see cref="GqaAttention"/> binding (the generated kernel of a layout
/// type, or the generic kernel) decoding the inputs' <see cref="KvCache"/> in place, as a decoder calls it.
/// </summary>
/// <remarks>
/// The timed call is <see cref="GqaAttention.Decode"/> over all positions, without log-sum-exp (the peers return none
/// either). Storage types the kernels do not read yet make <see cref="Decode"/> throw <see cref="NotSupportedException"/>
/// (the cache's float view refuses a non-float cache), which the benchmark reports as an unsupported row.
/// </remarks>
internal sealed class GqaGenPeer : IDecodePeer
{
    private readonly GqaAttention _attention;
    private readonly DecodeInputs _inputs;
    private readonly float[] _output;
    private readonly KvRange _positions;

    /// <exception cref="NotSupportedException"><paramref name="threads"/> is above 1: GqaGen's parallel decode is not in this build.</exception>
    public GqaGenPeer(GqaAttention attention, DecodeInputs inputs, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (attention.Shape != inputs.Shape)
            throw new ArgumentException($"The kernel serves {attention.Shape}; the inputs are {inputs.Shape}.", nameof(attention));

        // HOOK (parallel decode): GqaGen's multi-threaded decode, a ComputePool-based overload along the lines of
        // GqaAttention.Decode(..., pool), is being built by another engineer. When it lands, create the pool here
        // (threads workers, disposed in Dispose) and call that overload in Decode when threads > 1. Until then the
        // threads = 2 GqaGen rows are reported as unsupported rather than timed on one thread.
        if (threads != 1)
            throw new NotSupportedException($"GqaGen's parallel decode is not in this build; {attention.Name} runs on 1 thread only. Hook: GqaGenPeer's constructor, for the coming ComputePool-based GqaAttention.Decode overload.");

        _attention = attention;
        _inputs = inputs;
        _output = new float[inputs.Shape.QueryLength];
        _positions = inputs.Positions;
        Threads = threads;
    }

    /// <summary>Threads the decode runs on.</summary>
    public int Threads { get; }

    public string Name => $"GqaGen {(_attention.IsGenerated ? "generated" : "generic")} ({_inputs.ElementType.ShortName()}, {Threads} thread{(Threads == 1 ? "" : "s")})";

    public bool RoundsOutputToHalf => false;

    public void Decode() => _attention.Decode(_inputs.Query, _inputs.Cache, 0, _positions, _output);

    public void CopyOutput(Span<float> destination) => _output.CopyTo(destination);

    public void Dispose()
    {
    }
}
