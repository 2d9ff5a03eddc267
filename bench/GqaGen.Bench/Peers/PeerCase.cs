using System.Globalization;

namespace GqaGen.Bench.Peers;

/// <summary>
/// One benchmark case of a peer benchmark, set up: its inputs, its peer, and the gate passed. Built in a
/// <c>[GlobalSetup]</c>; if anything fails the outcome is recorded in <see cref="GateLog"/> and the exception rethrown,
/// so BenchmarkDotNet reports that one row as failed (NA) and goes on with the others.
/// </summary>
internal sealed class PeerCase : IDisposable
{
    private PeerCase(DecodeInputs inputs, IDecodePeer peer)
    {
        Inputs = inputs;
        Peer = peer;
    }

    /// <summary>The inputs the peer decodes.</summary>
    public DecodeInputs Inputs { get; }

    /// <summary>The peer, gate passed.</summary>
    public IDecodePeer Peer { get; }

    /// <summary>
    /// Builds the inputs, the peer (with <paramref name="createPeer"/>) and the reference, and runs the gate, recording
    /// the outcome under the case's <see cref="GateLog"/> key (from the benchmark class, method and parameters, named
    /// as the benchmark's <c>[Params]</c> properties are: Layout, Context, Threads, Kv).
    /// </summary>
    /// <exception cref="NotSupportedException">The peer cannot run this case (recorded as "unsupported").</exception>
    /// <exception cref="PeerGateException">The peer's output is wrong (recorded as "FAILED").</exception>
    public static PeerCase Create(string benchmarkType, string method, BenchLayout layout, int context, int threads, KvElementType elementType,
        Func<DecodeInputs, IDecodePeer> createPeer)
    {
        string key = KeyFor(benchmarkType, method, layout, context, threads, elementType);
        GqaShape shape = BenchLayouts.Shape(layout);
        DecodeInputs? inputs = null;
        IDecodePeer? peer = null;
        try
        {
            inputs = DecodeInputs.Create(shape, context, elementType);
            peer = createPeer(inputs);
            float[] reference = inputs.ReferenceOutput(GateLog.Directory);
            GateResult result = PeerGate.Check(peer, shape, reference);
            GateLog.Record(key, result.ToString());
            Console.WriteLine($"// gate: {peer.Name}: {result}");
            return new PeerCase(inputs, peer);
        }
        catch (Exception e)
        {
            GateLog.Record(key, NotTimedReason(e));
            peer?.Dispose();
            inputs?.Dispose();
            throw;
        }
    }

    /// <summary>Why a case that threw <paramref name="e"/> while set up or gated is not timed: "unsupported: …",
    /// "FAILED: …" (wrong output) or "error: …", each with the message's first clause.</summary>
    internal static string NotTimedReason(Exception e) => e switch
    {
        NotSupportedException => "unsupported: " + FirstClause(e.Message),
        PeerGateException refused => "FAILED: " + refused.Finding,
        _ => $"error: {e.GetType().Name}: {FirstClause(e.Message)}",
    };

    /// <summary>A message up to its first ". " or "; " (the whole message goes to the benchmark log with the exception).</summary>
    internal static string FirstClause(string message)
    {
        int end = message.Length;
        foreach (string stop in new[] { ". ", "; " })
        {
            int at = message.IndexOf(stop, StringComparison.Ordinal);
            if (at > 0 && at < end)
                end = at;
        }
        return message[..end];
    }

    /// <summary>The <see cref="GateLog"/> key of a peer benchmark case (the host's "Gate" column builds the same one from the case's parameters).</summary>
    public static string KeyFor(string benchmarkType, string method, BenchLayout layout, int context, int threads, KvElementType elementType)
        => GateLog.Key(benchmarkType, method,
        [
            new("Layout", layout.ToString()),
            new("Context", context.ToString(CultureInfo.InvariantCulture)),
            new("Threads", threads.ToString(CultureInfo.InvariantCulture)),
            new("Kv", elementType.ToString()),
        ]);

    public void Dispose()
    {
        Peer.Dispose();
        Inputs.Dispose();
    }
}
