namespace GqaGen.Llama;

/// <summary>
/// A decode step's inputs quantized to 8 bits (<see cref="ActivationPrecision.Int8"/>), each quantized once however
/// many matrices read it: Q, K and V share the normed stream, gate and up likewise. The session calls
/// <see cref="Forget"/> whenever it rewrites an input buffer.
/// </summary>
internal sealed class Int8InputCache
{
    private readonly Dictionary<int, Int8Activations> _byLength = [];
    private float[]? _input;
    private Int8Activations? _quantized;

    /// <summary>Whether <paramref name="weights"/> can be multiplied with int8 activations.</summary>
    public static bool Takes(WeightMatrix weights)
        => WeightMatrix.SupportsInt8Activations(weights.Type) && weights.Columns % Int8Activations.BlockElements == 0;

    /// <summary>The first <paramref name="length"/> elements of <paramref name="input"/>, quantized (again only if
    /// <see cref="Forget"/> was called or another input was asked for since).</summary>
    public Int8Activations Get(float[] input, int length)
    {
        if (!ReferenceEquals(input, _input) || _quantized is null || _quantized.Length != length)
        {
            if (!_byLength.TryGetValue(length, out Int8Activations? activations))
                _byLength[length] = activations = new Int8Activations(length);
            activations.Quantize(input.AsSpan(0, length));
            _input = input;
            _quantized = activations;
        }
        return _quantized;
    }

    /// <summary>Marks every quantized input stale: the session has written to an input buffer.</summary>
    public void Forget() => _input = null;
}
