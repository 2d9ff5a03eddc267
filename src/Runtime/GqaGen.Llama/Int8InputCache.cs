namespace GqaGen.Llama;

/// <summary>
/// A decode step's inputs quantized to 8 bits (<see cref="ActivationPrecision.Int8"/>), each quantized once however
/// many matrices read it: Q, K and V share the normed stream, gate and up likewise. A file mixing K-quants and 32-weight
/// types quantizes a shared input once per block size in use. The session calls <see cref="Forget"/> whenever it
/// rewrites an input buffer.
/// </summary>
internal sealed class Int8InputCache
{
    private readonly Dictionary<(int Length, int BlockElements), Int8Activations> _byShape = [];
    private readonly HashSet<(int Length, int BlockElements)> _quantized = [];
    private float[]? _input;

    /// <summary>Whether <paramref name="weights"/> can be multiplied with int8 activations.</summary>
    public static bool Takes(WeightMatrix weights)
        => WeightMatrix.SupportsInt8Activations(weights.Type) && weights.Columns % WeightMatrix.Int8BlockElements(weights.Type) == 0;

    /// <summary>The first <paramref name="length"/> elements of <paramref name="input"/>, quantized in blocks of
    /// <paramref name="blockElements"/> (again only if <see cref="Forget"/> was called or another input was asked for
    /// since).</summary>
    public Int8Activations Get(float[] input, int length, int blockElements)
    {
        if (!ReferenceEquals(input, _input))
        {
            _quantized.Clear();
            _input = input;
        }
        var shape = (length, blockElements);
        if (!_byShape.TryGetValue(shape, out Int8Activations? activations))
            _byShape[shape] = activations = new Int8Activations(length, blockElements);
        if (_quantized.Add(shape))
            activations.Quantize(input.AsSpan(0, length));
        return activations;
    }

    /// <summary>Marks every quantized input stale: the session has written to an input buffer.</summary>
    public void Forget() => _input = null;
}
