namespace GqaGen.Llama;

/// <summary>
/// RoPE as llama.cpp applies it: within each head, pair i (for i below ropeDims / 2) is rotated by
/// θ_i = position · base^(−2i / ropeDims), and the rest of the head passes unrotated. Which two elements form pair i
/// is the config's <see cref="LlamaConfig.RopeStyle"/>: (2i, 2i+1) for the <c>llama</c> architecture ("normal" rope,
/// the GGUF converter having permuted Llama's Q and K rows), (i, i + ropeDims/2) for <c>qwen2</c> (NeoX rotate-half,
/// Hugging Face's layout, left unpermuted).
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly int _headDim;
    private readonly bool _neoX;
    private readonly double[] _inverseFrequency; // (ropeDims / 2)
    private readonly float _positionScale;
    private readonly float[] _cos; // (ropeDims / 2) for the position last prepared
    private readonly float[] _sin;

    public RotaryEmbedding(LlamaConfig config, float[]? frequencyFactors)
    {
        _headDim = config.HeadDim;
        _neoX = config.RopeStyle == RopeStyle.NeoX;
        _positionScale = config.RopePositionScale;
        int pairs = config.RopeDimensions / 2;
        _inverseFrequency = new double[pairs];
        for (int i = 0; i < pairs; i++)
        {
            double frequency = Math.Pow(config.RopeFreqBase, -2.0 * i / config.RopeDimensions);
            // Llama 3.1 stretches long wavelengths by dividing their frequencies by rope_freqs.weight.
            _inverseFrequency[i] = frequencyFactors is null ? frequency : frequency / frequencyFactors[i];
        }
        _cos = new float[pairs];
        _sin = new float[pairs];
    }

    /// <summary>Rotates every head of <paramref name="query"/> and of <paramref name="key"/> (each heads × headDim)
    /// in place for <paramref name="position"/>; the angles are computed once for both.</summary>
    /// <remarks>Runs once per layer and token from the first token on, so it is jitted fully optimized at once
    /// instead of starting at tier 0 (see MatVecKernel).</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> query, Span<float> key, int position)
    {
        // Angles in double: at position 100k, a float angle would lose the low bits that distinguish neighbours.
        double scaledPosition = position * (double)_positionScale;
        for (int i = 0; i < _cos.Length; i++)
        {
            (double sin, double cos) = Math.SinCos(scaledPosition * _inverseFrequency[i]);
            _cos[i] = (float)cos;
            _sin[i] = (float)sin;
        }
        Rotate(query);
        Rotate(key);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Rotate(Span<float> vectors)
    {
        // Pair i is (i·stride, i·stride + offset): stride 2, offset 1 interleaved; stride 1, offset ropeDims/2 NeoX.
        int stride = _neoX ? 1 : 2, offset = _neoX ? _cos.Length : 1;
        for (int head = 0; head + _headDim <= vectors.Length; head += _headDim)
        {
            Span<float> x = vectors.Slice(head, _headDim);
            for (int i = 0; i < _cos.Length; i++)
            {
                int first = i * stride, second = first + offset;
                float a = x[first], b = x[second];
                x[first] = a * _cos[i] - b * _sin[i];
                x[second] = a * _sin[i] + b * _cos[i];
            }
        }
    }
}
