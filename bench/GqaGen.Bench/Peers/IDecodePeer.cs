namespace GqaGen.Bench.Peers;

/// <summary>
/// One implementation of a decode-attention step that the peer benchmark times: built once over a
/// <see cref="DecodeInputs"/> (copying or wrapping its K/V and query as the implementation needs), then
/// <see cref="Decode"/> is the timed call.
/// </summary>
internal interface IDecodePeer : IDisposable
{
    /// <summary>A short name for messages, e.g. "ONNX Runtime GroupQueryAttention (fp16, 2 threads)".</summary>
    string Name { get; }

    /// <summary>Whether the output is rounded to half precision (its tensors are float16), which
    /// <see cref="PeerGate"/> allows for.</summary>
    bool RoundsOutputToHalf { get; }

    /// <summary>One decode step over all the inputs' positions: the call the benchmark times.</summary>
    void Decode();

    /// <summary>Copies the last <see cref="Decode"/>'s attention output (<c>Heads × HeadDim</c>), widened to float, into <paramref name="destination"/>.</summary>
    void CopyOutput(Span<float> destination);
}
