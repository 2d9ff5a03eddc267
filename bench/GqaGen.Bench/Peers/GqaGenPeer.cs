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
    private readonly bool _ownsPool;

    /// <summary>A peer decoding <paramref name="inputs"/> with <paramref name="attention"/> on <paramref name="threads"/>
    /// threads: a pool of its own, or <paramref name="sharedPool"/> (of that many threads, not disposed with the peer),
    /// which rows run one after another can share as a decoder's layers share one pool, so that its workers stay
    /// awake between them.</summary>
    public GqaGenPeer(GqaAttention attention, DecodeInputs inputs, int threads, ComputePool? sharedPool = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (attention.Shape != inputs.Shape)
            throw new ArgumentException($"The kernel serves {attention.Shape}; the inputs are {inputs.Shape}.", nameof(attention));

        _attention = attention;
        _inputs = inputs;
        _output = new float[inputs.Shape.QueryLength];
        _positions = inputs.Positions;
        Threads = threads;
        if (sharedPool is not null && sharedPool.Threads != threads)
            throw new ArgumentException($"The shared pool has {sharedPool.Threads} thread(s); the peer runs on {threads}.", nameof(sharedPool));
        _ownsPool = sharedPool is null && threads > 1;
        _pool = threads > 1 ? sharedPool ?? new ComputePool(threads) : null;
    }

    /// <summary>Threads the decode runs on.</summary>
    public int Threads { get; }

    public string Name => $"GqaGen {(_attention.IsGenerated ? "generated" : "generic")} ({_inputs.ElementType.ShortName()}, {Threads} thread{(Threads == 1 ? "" : "s")})";

    public bool RoundsOutputToHalf => false;

    public void Decode() => _attention.Decode(_inputs.Query, _inputs.Cache, 0, _positions, _output, default, _pool);

    public void CopyOutput(Span<float> destination) => _output.CopyTo(destination);

    public void Dispose()
    {
        if (_ownsPool)
            _pool!.Dispose();
    }
}
