using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>
/// The oracle: llama.cpp's <c>llama</c> and <c>qwen2</c> architectures transliterated into plain double-precision loops, in the manner
/// of llama2.c's <c>run.c</c>, sharing no code with the runtime's decoder. Weights are read with
/// <see cref="ReferenceDequantizer"/>, so F16, BF16 and Q8_0 files give exactly the values the decoder sees.
/// </summary>
/// <remarks>
/// Per layer: <c>xn = rmsnorm(x) ⊙ attn_norm</c>; <c>q, k, v = Wq·xn + bq, Wk·xn + bk, Wv·xn + bv</c> (the biases
/// qwen2's, or none); RoPE on q and k (adjacent pairs, llama.cpp's "normal" mode, for llama; halves, NeoX mode, for
/// qwen2); causal softmax attention with query head h reading K/V head
/// <c>h / (H/G)</c>; <c>x += Wo·concat(heads)</c>; then <c>x += Wdown·(silu(Wgate·xn) ⊙ Wup·xn)</c> with
/// <c>xn = rmsnorm(x) ⊙ ffn_norm</c>. Logits are <c>Woutput·(rmsnorm(x) ⊙ output_norm)</c>, Woutput being
/// <c>output.weight</c>, or <c>token_embd.weight</c> when the file has none.
/// </remarks>
public sealed class NaiveLlama
{
    private readonly NaiveLlamaConfig _config;
    private readonly NaiveLlamaWeights _weights;

    /// <summary>Reads the configuration and dequantizes every weight of <paramref name="file"/>.</summary>
    public NaiveLlama(GgufFile file)
        : this(file, NaiveLlamaConfig.Read(file))
    {
    }

    /// <summary>Runs <paramref name="file"/>'s weights under <paramref name="config"/> (a test may alter what was read,
    /// e.g. the RoPE style, to show that it matters).</summary>
    public NaiveLlama(GgufFile file, NaiveLlamaConfig config)
    {
        _config = config;
        _weights = NaiveLlamaWeights.Read(file, _config);
    }

    /// <summary>The configuration read from the file.</summary>
    public NaiveLlamaConfig Config => _config;

    /// <summary>Called for every attention softmax: layer, query head, position and the probabilities over positions 0…position.</summary>
    public Action<int, int, int, double[]>? AttentionObserver { get; init; }

    /// <summary>The logits at every position of <paramref name="tokens"/>, run from position 0.</summary>
    public static double[][] Logits(GgufFile file, IReadOnlyList<int> tokens) => new NaiveLlama(file).Logits(tokens);

    /// <summary>The logits at every position of <paramref name="tokens"/>, run from position 0.</summary>
    public double[][] Logits(IReadOnlyList<int> tokens)
    {
        var c = _config;
        var w = _weights;
        int headsPerGroup = c.Heads / c.KvGroups;
        double scale = 1 / Math.Sqrt(c.HeadDim);

        // The run state. keyCache[layer][position] and valueCache[layer][position] hold one token's G·d values,
        // K/V head g at [g·d, (g+1)·d).
        var keyCache = new List<double[]>[c.Layers];
        var valueCache = new List<double[]>[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            keyCache[l] = [];
            valueCache[l] = [];
        }

        var logits = new double[tokens.Count][];
        for (int position = 0; position < tokens.Count; position++)
        {
            int token = tokens[position];
            if ((uint)token >= (uint)c.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(tokens), token, $"Token {token} is outside the vocabulary of {c.VocabularySize}.");
            double[] x = (double[])w.TokenEmbedding[token].Clone(); // (embd)

            for (int l = 0; l < c.Layers; l++)
            {
                var layer = w.Layers[l];

                // Attention block.
                double[] xn = Multiply(RmsNorm(x, c.RmsNormEpsilon), layer.AttentionNorm);
                double[] q = MatVec(layer.Query, xn);   // (H·d)
                double[] k = MatVec(layer.Key, xn);     // (G·d)
                double[] v = MatVec(layer.Value, xn);   // (G·d)
                if (layer.QueryBias is not null)
                    Add(q, layer.QueryBias);
                if (layer.KeyBias is not null)
                    Add(k, layer.KeyBias);
                if (layer.ValueBias is not null)
                    Add(v, layer.ValueBias);
                for (int h = 0; h < c.Heads; h++)
                {
                    if (c.NeoXRope)
                        RopeNeoX(q, h * c.HeadDim, c.RopeDimensions, position, c.RopeFreqBase);
                    else
                        Rope(q, h * c.HeadDim, c.RopeDimensions, position, c.RopeFreqBase);
                }
                for (int g = 0; g < c.KvGroups; g++)
                {
                    if (c.NeoXRope)
                        RopeNeoX(k, g * c.HeadDim, c.RopeDimensions, position, c.RopeFreqBase);
                    else
                        Rope(k, g * c.HeadDim, c.RopeDimensions, position, c.RopeFreqBase);
                }
                keyCache[l].Add(k);
                valueCache[l].Add(v);

                var attention = new double[c.Heads * c.HeadDim]; // (H·d): the heads' outputs, concatenated
                for (int h = 0; h < c.Heads; h++)
                {
                    int g = h / headsPerGroup;
                    var scores = new double[position + 1];
                    for (int j = 0; j <= position; j++)
                    {
                        double dot = 0;
                        for (int i = 0; i < c.HeadDim; i++)
                            dot += q[h * c.HeadDim + i] * keyCache[l][j][g * c.HeadDim + i];
                        scores[j] = dot * scale;
                    }
                    double[] p = Softmax(scores);
                    AttentionObserver?.Invoke(l, h, position, p);
                    for (int j = 0; j <= position; j++)
                        for (int i = 0; i < c.HeadDim; i++)
                            attention[h * c.HeadDim + i] += p[j] * valueCache[l][j][g * c.HeadDim + i];
                }
                Add(x, MatVec(layer.Output, attention));

                // MLP block (SwiGLU).
                xn = Multiply(RmsNorm(x, c.RmsNormEpsilon), layer.FeedForwardNorm);
                double[] gate = MatVec(layer.Gate, xn); // (ffn)
                double[] up = MatVec(layer.Up, xn);     // (ffn)
                var hidden = new double[c.FeedForwardLength];
                for (int i = 0; i < hidden.Length; i++)
                    hidden[i] = Silu(gate[i]) * up[i];
                Add(x, MatVec(layer.Down, hidden));
            }

            logits[position] = MatVec(w.OutputHead, Multiply(RmsNorm(x, c.RmsNormEpsilon), w.OutputNorm)); // (vocab)
        }
        return logits;
    }

    /// <summary><c>x / sqrt(mean(x²) + eps)</c>.</summary>
    public static double[] RmsNorm(double[] x, double epsilon)
    {
        double sumOfSquares = 0;
        foreach (double value in x)
            sumOfSquares += value * value;
        double inverse = 1 / Math.Sqrt(sumOfSquares / x.Length + epsilon);
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            result[i] = x[i] * inverse;
        return result;
    }

    /// <summary>Rotates the head at <paramref name="offset"/> of <paramref name="vector"/> in place: for each pair
    /// i &lt; n_rot/2, θ = position · base^(−2i/n_rot) and (x[2i], x[2i+1]) turns by θ. Elements past n_rot are left alone.</summary>
    public static void Rope(double[] vector, int offset, int rotaryDimensions, int position, double freqBase)
    {
        for (int i = 0; i < rotaryDimensions / 2; i++)
        {
            double theta = position * Math.Pow(freqBase, -2.0 * i / rotaryDimensions);
            double cos = Math.Cos(theta), sin = Math.Sin(theta);
            double a = vector[offset + 2 * i], b = vector[offset + 2 * i + 1];
            vector[offset + 2 * i] = a * cos - b * sin;
            vector[offset + 2 * i + 1] = a * sin + b * cos;
        }
    }

    /// <summary>NeoX ("rotate-half") RoPE on the head at <paramref name="offset"/>: for each pair i &lt; n_rot/2,
    /// θ = position · base^(−2i/n_rot) and (x[i], x[i + n_rot/2]) turns by θ. Elements past n_rot are left alone.</summary>
    public static void RopeNeoX(double[] vector, int offset, int rotaryDimensions, int position, double freqBase)
    {
        int half = rotaryDimensions / 2;
        for (int i = 0; i < half; i++)
        {
            double theta = position * Math.Pow(freqBase, -2.0 * i / rotaryDimensions);
            double cos = Math.Cos(theta), sin = Math.Sin(theta);
            double a = vector[offset + i], b = vector[offset + i + half];
            vector[offset + i] = a * cos - b * sin;
            vector[offset + i + half] = a * sin + b * cos;
        }
    }

    /// <summary><c>exp(s_j − max s) / Σ exp(s − max s)</c>.</summary>
    public static double[] Softmax(double[] scores)
    {
        double max = scores.Max();
        var p = new double[scores.Length];
        double sum = 0;
        for (int j = 0; j < scores.Length; j++)
        {
            p[j] = Math.Exp(scores[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < p.Length; j++)
            p[j] /= sum;
        return p;
    }

    /// <summary><c>z / (1 + e^−z)</c>.</summary>
    public static double Silu(double z) => z / (1 + Math.Exp(-z));

    /// <summary><c>out[r] = Σ_c W[r][c] · x[c]</c>.</summary>
    public static double[] MatVec(double[][] matrix, double[] x)
    {
        var result = new double[matrix.Length];
        for (int r = 0; r < matrix.Length; r++)
        {
            double sum = 0;
            for (int col = 0; col < x.Length; col++)
                sum += matrix[r][col] * x[col];
            result[r] = sum;
        }
        return result;
    }

    private static double[] Multiply(double[] a, double[] b)
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            result[i] = a[i] * b[i];
        return result;
    }

    private static void Add(double[] x, double[] delta)
    {
        for (int i = 0; i < x.Length; i++)
            x[i] += delta[i];
    }
}
