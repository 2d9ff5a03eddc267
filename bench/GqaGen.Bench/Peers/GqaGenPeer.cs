namespace GqaGen.Bench.Peers;

/// <summary>
/// GqaGen's own kernels in the peer benchmark: a <see cref="GqaAttention"/> binding (the generated kernel of a layout
/// type, or the generic kernel) decoding the inputs' <see cref="KvCache"/> in place, as a decoder calls it.
/// </summary>
/// <remarks>
/// The timed call is <see cref="GqaAttention.Decode"/> over all positions, without log-sum-exp (the peers return none
/// either); with more than one thread, the split-KV overload on a <see cref="ComputePool"/> of that many threads, as
/// the decoder calls it.
/// </remarks>
internal sealed class GqaGenPeer : IDecodePeer
{
    private readonly GqaAttention _attention;
    private readonly DecodeInputs _inputs;
    private readonly float[] _output;
    private readonly KvRange _positions;
    private readonly ComputePool? _pool;

    public GqaGenPeer(GqaAttention attention, DecodeInputs inputs, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (attention.Shape != inputs.Shape)
            throw new ArgumentException($"The kernel serves {attention.Shape}; the inputs are {inputs.Shape}.", nameof(attention));

        _attention = attention;
        _inputs = inputs;
        _output = new float[inputs.Shape.QueryLength];
        _positions = inputs.Positions;
        Threads = threads;
        _pool = threads > 1 ? new ComputePool(threads) : null;
    }

    /// <summary>Threads the decode runs on.</summary>
    public int Threads { get; }

    public string Name => $"GqaGen {(_attention.IsGenerated ? "generated" : "generic")} ({_inputs.ElementType.ShortName()}, {Threads} thread{(Threads == 1 ? "" : "s")})";

    public bool RoundsOutputToHalf => false;

    public void Decode() => _attention.Decode(_inputs.Query, _inputs.Cache, 0, _positions, _output, default, _pool);

    public void CopyOutput(Span<float> destination) => _output.CopyTo(destination);

    public void Dispose() => _pool?.Dispose();
}
