using System.Diagnostics;
using System.Numerics.Tensors;

namespace GqaGen.Llama;

/// <summary>
/// The run state of one conversation with a <see cref="LlamaModel"/>: its KV cache, the position reached, and the
/// activation buffers. Not thread-safe (one session runs one token at a time; the model spreads each matrix
/// product over its threads).
/// </summary>
public sealed class LlamaSession : IDisposable
{
    /// <summary>Prompt tokens run together in <see cref="Prefill"/>: each weight row is read once per chunk.</summary>
    public const int PrefillChunk = 32;

    private readonly LlamaModel _model;
    private readonly LlamaConfig _config;
    private readonly LlamaWeights _weights;
    private readonly GqaAttention _attention;
    private readonly ComputePool _pool;
    private readonly RotaryEmbedding _rope;
    private readonly KvCache _cache; // (layer, group, position, headDim), keys and values

    // Activations for one token or a chunk of tokens; a row per token, shapes in comments.
    private readonly float[] _x;         // (chunk, embedding) the residual stream
    private readonly float[] _xNorm;     // (chunk, embedding)
    private readonly float[] _query;     // (chunk, heads · headDim)
    private readonly float[] _key;       // (chunk, kvGroups · headDim)
    private readonly float[] _value;     // (chunk, kvGroups · headDim)
    private readonly float[] _attended;  // (chunk, heads · headDim)
    private readonly float[] _projected; // (chunk, embedding)
    private readonly float[] _gate;      // (chunk, feedForward)
    private readonly float[] _up;        // (chunk, feedForward)
    private readonly float[] _sigmoid;   // (chunk, feedForward) scratch for SwiGLU
    private readonly float[] _logits;    // (vocabulary)

    private readonly bool _ownsCache;

    internal LlamaSession(LlamaModel model, int contextLength)
        : this(model, NewCache(model, contextLength), position: 0, ownsCache: true)
    {
    }

    internal LlamaSession(LlamaModel model, KvCache cache, int position, bool ownsCache)
    {
        _model = model;
        _config = model.Config;
        _weights = model.Weights;
        _attention = model.Attention;
        _pool = model.Pool;
        _rope = new RotaryEmbedding(_config, _weights.RopeFrequencyFactors);
        _cache = cache;
        _ownsCache = ownsCache;
        Position = position;

        int embd = _config.EmbeddingLength, qLength = _config.Shape.QueryLength, kvLength = _config.Shape.KvLength;
        _x = new float[PrefillChunk * embd];
        _xNorm = new float[PrefillChunk * embd];
        _query = new float[PrefillChunk * qLength];
        _key = new float[PrefillChunk * kvLength];
        _value = new float[PrefillChunk * kvLength];
        _attended = new float[PrefillChunk * qLength];
        _projected = new float[PrefillChunk * embd];
        _gate = new float[PrefillChunk * _config.FeedForwardLength];
        _up = new float[PrefillChunk * _config.FeedForwardLength];
        _sigmoid = new float[PrefillChunk * _config.FeedForwardLength];
        _logits = new float[_config.VocabularySize];
    }

    /// <summary>The model this session runs.</summary>
    public LlamaModel Model => _model;

    /// <summary>The session's KV cache (fp32, one per session).</summary>
    public KvCache Cache => _cache;

    /// <summary>Positions the cache holds.</summary>
    public int ContextLength => _cache.Capacity;

    /// <summary>Tokens run so far; the next token goes to this position.</summary>
    public int Position { get; private set; }

    /// <summary>Time spent in the attention kernel (K/V append and decode) since the session began or was reset.</summary>
    public TimeSpan AttentionTime => Stopwatch.GetElapsedTime(0, _attentionTicks);

    private long _attentionTicks;

    /// <summary>Runs <paramref name="token"/> at <see cref="Position"/> and returns its next-token logits
    /// (vocabulary long; valid until the next call on this session).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The cache is full.</exception>
    public ReadOnlySpan<float> Decode(int token)
    {
        ObjectDisposedException.ThrowIf(_cache.IsDisposed, this);
        CheckRoom(1);
        CheckToken(token);
        Run([token], computeLogits: true);
        return _logits;
    }

    /// <summary>Runs <paramref name="tokens"/> from <see cref="Position"/> on, in chunks of <see cref="PrefillChunk"/>,
    /// and returns the last token's logits (valid until the next call).</summary>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not fit in the cache.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("Prefill needs at least one token.", nameof(tokens));
        ObjectDisposedException.ThrowIf(_cache.IsDisposed, this);
        CheckRoom(tokens.Length);
        foreach (int token in tokens)
            CheckToken(token);
        // All or nothing: a failure in a later chunk must not leave the earlier chunks counted as context.
        int first = Position;
        try
        {
            for (int start = 0; start < tokens.Length; start += PrefillChunk)
            {
                int count = Math.Min(PrefillChunk, tokens.Length - start);
                Run(tokens.Slice(start, count), computeLogits: start + count == tokens.Length);
            }
        }
        catch
        {
            Position = first;
            throw;
        }
        return _logits;
    }

    /// <summary>Forgets every position (the cache is reused from position 0).</summary>
    public void Reset()
    {
        Position = 0;
        _attentionTicks = 0;
    }

    /// <summary>Frees the KV cache, if the session created it.</summary>
    public void Dispose()
    {
        if (_ownsCache)
            _cache.Dispose();
    }

    private static KvCache NewCache(LlamaModel model, int contextLength)
    {
        if (contextLength < 1)
            throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "A session needs room for at least 1 position.");
        return new KvCache(model.Config.Shape, model.Config.Layers, contextLength, model.Options.KvElementType);
    }

    private void CheckToken(int token)
    {
        if ((uint)token >= (uint)_config.VocabularySize)
            throw new ArgumentOutOfRangeException("tokens", token, $"Token {token} is outside the vocabulary of {_config.VocabularySize} (ids 0 to {_config.VocabularySize - 1}).");
    }

    private void CheckRoom(int tokens)
    {
        if (tokens > ContextLength - Position)
            throw new InvalidOperationException($"The session holds {ContextLength} positions and {Position} are used; {tokens} more do not fit. Create the session with a larger context length.");
    }

    /// <summary>The forward pass for <paramref name="tokens"/> (1..<see cref="PrefillChunk"/>) at positions
    /// Position…Position+n−1, top to bottom: embedding, then per layer norm → Q/K/V → RoPE → cache → attention →
    /// output projection → residual, norm → SwiGLU MLP → residual; then the final norm and output head.</summary>
    private void Run(ReadOnlySpan<int> tokens, bool computeLogits)
    {
        // Decode and Prefill checked the tokens, the room left and the cache.
        int n = tokens.Length;
        int embd = _config.EmbeddingLength, ffn = _config.FeedForwardLength;
        int qLength = _config.Shape.QueryLength, kvLength = _config.Shape.KvLength;
        int first = Position;

        for (int t = 0; t < n; t++)
            _weights.TokenEmbedding.DequantizeRow(tokens[t], _x.AsSpan(t * embd, embd));

        for (int layer = 0; layer < _config.Layers; layer++)
        {
            LlamaBlockWeights block = _weights.Blocks[layer];

            // Attention: Q, K, V from the normed stream; K and V go straight into the cache slot.
            RmsNormRows(_x, block.AttentionNorm, _xNorm, n);
            Multiply(block.Query, _xNorm, _query, n);
            Multiply(block.Key, _xNorm, _key, n);
            Multiply(block.Value, _xNorm, _value, n);
            for (int t = 0; t < n; t++)
                _rope.Apply(_query.AsSpan(t * qLength, qLength), _key.AsSpan(t * kvLength, kvLength), first + t);
            long started = Stopwatch.GetTimestamp();
            for (int t = 0; t < n; t++)
                _attention.AppendKv(_cache, layer, first + t, _key.AsSpan(t * kvLength, kvLength), _value.AsSpan(t * kvLength, kvLength));
            Attend(layer, first, n);
            _attentionTicks += Stopwatch.GetTimestamp() - started;
            Multiply(block.Output, _attended, _projected, n);
            TensorPrimitives.Add(_x.AsSpan(0, n * embd), _projected.AsSpan(0, n * embd), _x.AsSpan(0, n * embd));

            // MLP: down(silu(gate(x)) ⊙ up(x)).
            RmsNormRows(_x, block.FeedForwardNorm, _xNorm, n);
            Multiply(block.Gate, _xNorm, _gate, n);
            Multiply(block.Up, _xNorm, _up, n);
            SwiGlu(_gate.AsSpan(0, n * ffn), _up.AsSpan(0, n * ffn), _sigmoid.AsSpan(0, n * ffn));
            Multiply(block.Down, _gate, _projected, n);
            TensorPrimitives.Add(_x.AsSpan(0, n * embd), _projected.AsSpan(0, n * embd), _x.AsSpan(0, n * embd));
        }

        Position = first + n;
        if (computeLogits)
        {
            Span<float> last = _x.AsSpan((n - 1) * embd, embd);
            RmsNorm(last, _weights.OutputNorm, _xNorm.AsSpan(0, embd), _config.RmsNormEpsilon);
            _weights.OutputHead.MultiplyVector(_xNorm.AsSpan(0, embd), _logits, _pool);
        }
    }

    /// <summary>Causal attention for the chunk: token t sees positions 0…first+t. A decode step (one token) splits its
    /// positions over the pool's threads (split-KV, merged by log-sum-exp; short contexts stay on one thread); a prefill
    /// chunk runs its tokens in parallel instead (each reads the cache and writes its own output row).</summary>
    private void Attend(int layer, int first, int n)
    {
        int qLength = _config.Shape.QueryLength;
        if (n == 1)
        {
            _attention.Decode(_query.AsSpan(0, qLength), _cache, layer, new KvRange(0, first + 1), _attended.AsSpan(0, qLength), default, _pool);
            return;
        }
        if (_pool.Threads == 1)
        {
            for (int t = 0; t < n; t++)
                _attention.Decode(_query.AsSpan(t * qLength, qLength), _cache, layer, new KvRange(0, first + t + 1), _attended.AsSpan(t * qLength, qLength));
            return;
        }
        _pool.For(n, (start, end) =>
        {
            for (int t = start; t < end; t++)
                _attention.Decode(_query.AsSpan(t * qLength, qLength), _cache, layer, new KvRange(0, first + t + 1), _attended.AsSpan(t * qLength, qLength));
        });
    }

    private void Multiply(WeightMatrix weights, float[] input, float[] output, int tokens)
    {
        if (tokens == 1)
            weights.MultiplyVector(input.AsSpan(0, weights.Columns), output.AsSpan(0, weights.Rows), _pool);
        else
            weights.MultiplyMatrix(input.AsSpan(0, tokens * weights.Columns), tokens, output.AsSpan(0, tokens * weights.Rows), _pool);
    }

    private void RmsNormRows(float[] input, float[] weight, float[] output, int tokens)
    {
        int embd = _config.EmbeddingLength;
        for (int t = 0; t < tokens; t++)
            RmsNorm(input.AsSpan(t * embd, embd), weight, output.AsSpan(t * embd, embd), _config.RmsNormEpsilon);
    }

    /// <summary>output = x / sqrt(mean(x²) + ε) ⊙ weight.</summary>
    private static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> output, float epsilon)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(x, scale, output);
        TensorPrimitives.Multiply(output, weight, output);
    }

    /// <summary>gate ← silu(gate) ⊙ up, with silu(z) = z · sigmoid(z).</summary>
    private static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up, Span<float> sigmoid)
    {
        TensorPrimitives.Sigmoid(gate, sigmoid);
        TensorPrimitives.Multiply(gate, sigmoid, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }
}
