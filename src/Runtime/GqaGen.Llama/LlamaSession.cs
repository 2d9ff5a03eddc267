using System.Diagnostics;
using System.Numerics.Tensors;

namespace GqaGen.Llama;

/// <summary>
/// The run state of one conversation with a <see cref="LlamaModel"/>: its KV cache, the tokens it holds (and so the
/// position reached), and the activation buffers.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> A session runs one call at a time: a call made while another is running on the same session
/// (from another thread) throws <see cref="InvalidOperationException"/> instead of corrupting the cache. Sessions of
/// one model may run on different threads at once: they share only read-only weights and the model's
/// <see cref="ComputePool"/>, which runs one parallel range at a time (callers from several threads take turns, range
/// by range) and keeps per-thread scratch buffers, so each session computes exactly what it would alone, at a share of
/// the speed.</para>
/// <para><b>Tokens and rewinding.</b> <see cref="Tokens"/> lists the token whose keys and values fill each position,
/// always <see cref="Position"/> long. <see cref="Rewind"/> forgets the positions from a point on, so that a
/// conversation's next turn can keep the prefix it shares with the previous one and run only the rest.</para>
/// </remarks>
public sealed class LlamaSession : IDisposable
{
    /// <summary>Prompt tokens run together in <see cref="Prefill(ReadOnlySpan{int})"/>: each weight row is read, and
    /// each quantized panel widened, once per chunk.</summary>
    /// <remarks>64, the batched products' panel block (<c>MatMulKernel</c> widens a panel once per 64 tokens): on the
    /// TinyLlama-shaped F16 model a 512-token prompt ran 75–77 tokens/s on one core against 65–66 with 32-token chunks,
    /// and 131–136 against 121–126 on two (2026-12-04, alternated); 128-token chunks were no faster.</remarks>
    public const int PrefillChunk = 64;

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
    private readonly Int8InputCache? _int8Inputs; // a decode step's inputs in 8 bits, when the model's options ask for it

    private readonly bool _ownsCache;
    private readonly List<int> _tokens; // (position) the token run there, or UnknownToken
    private readonly IReadOnlyList<int> _tokensView;
    private int _busy; // 1 while a call runs: a second, concurrent call throws

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
        // A resumed cache's positions hold keys and values of tokens this session was never told.
        _tokens = new List<int>(Math.Min(cache.Capacity, 4096));
        _tokens.AddRange(Enumerable.Repeat(UnknownToken, position));
        _tokensView = _tokens.AsReadOnly();

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
        _int8Inputs = model.Options.Activations == ActivationPrecision.Int8 ? new Int8InputCache() : null;
    }

    /// <summary>The model this session runs.</summary>
    public LlamaModel Model => _model;

    /// <summary>The session's KV cache, in its storage type (<see cref="KvCache.ElementType"/>).</summary>
    public KvCache Cache => _cache;

    /// <summary>Positions the cache holds.</summary>
    public int ContextLength => _cache.Capacity;

    /// <summary>Tokens run so far; the next token goes to this position. Always <see cref="Tokens"/>.Count.</summary>
    public int Position => _tokens.Count;

    /// <summary>In <see cref="Tokens"/>, a position whose token the session does not know: those of a session created by
    /// <see cref="LlamaModel.ResumeSession"/> over a filled cache. It matches no token id, so no prompt reuses it.</summary>
    public const int UnknownToken = -1;

    /// <summary>
    /// The token whose keys and values each position of the cache holds, position 0 first: exactly the tokens whose
    /// forward passes completed, <see cref="Position"/> long (<see cref="UnknownToken"/> for positions a resumed
    /// session inherited). A live view: it changes as the session runs.
    /// </summary>
    public IReadOnlyList<int> Tokens => _tokensView;

    /// <summary>The logits of the last <see cref="Decode"/> or <see cref="Prefill(ReadOnlySpan{int})"/> (stale after a
    /// <see cref="Rewind"/>, <see cref="Reset"/> or a failed call).</summary>
    internal ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>Time spent in the attention kernel (K/V append and decode) since the session began or was reset.</summary>
    public TimeSpan AttentionTime => Stopwatch.GetElapsedTime(0, _attentionTicks);

    private long _attentionTicks;

    /// <summary>Runs <paramref name="token"/> at <see cref="Position"/> and returns its next-token logits
    /// (vocabulary long; valid until the next call on this session).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The cache is full.</exception>
    /// <exception cref="InvalidOperationException">Another call is running on this session.</exception>
    public ReadOnlySpan<float> Decode(int token)
    {
        ObjectDisposedException.ThrowIf(_cache.IsDisposed, this);
        CheckRoom(1);
        CheckToken(token);
        Enter();
        try
        {
            Run([token], computeLogits: true, decodeStep: true);
        }
        finally
        {
            Exit();
        }
        return _logits;
    }

    /// <summary>Runs <paramref name="tokens"/> from <see cref="Position"/> on, in chunks of <see cref="PrefillChunk"/>,
    /// and returns the last token's logits (valid until the next call).</summary>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not fit in the cache, or another call is running on
    /// this session.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens) => Prefill(tokens, CancellationToken.None);

    /// <summary>
    /// As <see cref="Prefill(ReadOnlySpan{int})"/>, checking <paramref name="cancellationToken"/> before each chunk of
    /// <see cref="PrefillChunk"/> tokens. All or nothing: if the call throws, cancelled or failed, <see cref="Position"/>
    /// and <see cref="Tokens"/> are what they were before it (the chunks already run are forgotten; their cache slots
    /// are simply overwritten later).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a chunk.</exception>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not fit in the cache, or another call is running on
    /// this session.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, CancellationToken cancellationToken) => Prefill(tokens, null, cancellationToken);

    /// <summary>
    /// As <see cref="Prefill(ReadOnlySpan{int}, CancellationToken)"/>, reporting to <paramref name="progress"/> after each
    /// chunk of <see cref="PrefillChunk"/> tokens (synchronously, on the thread running the prefill: keep the handler
    /// short, or hand the value on to another thread yourself).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a chunk.</exception>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is not in the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not fit in the cache, or another call is running on
    /// this session.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, IProgress<PrefillProgress>? progress, CancellationToken cancellationToken)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("Prefill needs at least one token.", nameof(tokens));
        ObjectDisposedException.ThrowIf(_cache.IsDisposed, this);
        CheckRoom(tokens.Length);
        foreach (int token in tokens)
            CheckToken(token);
        Enter();
        // All or nothing: a failure or cancellation in a later chunk must not leave the earlier chunks counted as context.
        int first = Position;
        long started = Stopwatch.GetTimestamp();
        try
        {
            for (int start = 0; start < tokens.Length; start += PrefillChunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(PrefillChunk, tokens.Length - start);
                Run(tokens.Slice(start, count), computeLogits: start + count == tokens.Length, decodeStep: false);
                progress?.Report(new PrefillProgress(start + count, tokens.Length, Stopwatch.GetElapsedTime(started)));
            }
        }
        catch
        {
            _tokens.RemoveRange(first, _tokens.Count - first);
            throw;
        }
        finally
        {
            Exit();
        }
        return _logits;
    }

    /// <summary>
    /// Whether <see cref="Rewind"/> can go back to <paramref name="position"/>: any position from 0 to
    /// <see cref="Position"/> for an ordinary cache. A sliding-window ring (<see cref="KvCache.SlidingWindow"/> W) keeps
    /// only the last <see cref="KvCache.Slots"/> positions, and the next token at <paramref name="position"/> attends to
    /// the W − 1 before it: once the ring has wrapped, only position 0 (start over) and positions whose window is still
    /// held qualify, that is Position − 1 and Position when the ring holds exactly W.
    /// </summary>
    public bool CanRewind(int position)
    {
        if (position < 0 || position > Position)
            return false;
        if (_cache.SlidingWindow == 0 || position == 0)
            return true;
        int oldestHeld = Math.Max(0, Position - _cache.Slots);
        int oldestNeeded = Math.Max(0, position + 1 - _cache.SlidingWindow);
        return oldestNeeded >= oldestHeld;
    }

    /// <summary>
    /// Forgets positions <paramref name="position"/> and later: <see cref="Position"/> becomes
    /// <paramref name="position"/> and <see cref="Tokens"/> keeps its first <paramref name="position"/> entries, whose
    /// keys and values stay in the cache. The next <see cref="Prefill(ReadOnlySpan{int})"/> or <see cref="Decode"/>
    /// continues from there exactly as a session that had run only those tokens would. Rewinding leaves no logits: run
    /// at least one token before sampling.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is outside 0…<see cref="Position"/>.</exception>
    /// <exception cref="InvalidOperationException">A sliding-window cache no longer holds the positions the next token at
    /// <paramref name="position"/> would attend to (see <see cref="CanRewind"/>), or another call is running on this
    /// session.</exception>
    public void Rewind(int position)
    {
        if (position < 0 || position > Position)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"A session at position {Position} can rewind to 0..{Position}; got {position}.");
        if (!CanRewind(position))
            throw new InvalidOperationException(
                $"The session's cache is a sliding-window ring of {_cache.Slots} slots (window {_cache.SlidingWindow}) at position {Position}: positions before "
                + $"{Position - _cache.Slots} are overwritten, and a token at position {position} attends to positions from {position + 1 - _cache.SlidingWindow}. "
                + "Rewind to 0 (or check CanRewind first) and run the tokens again.");
        Enter();
        _tokens.RemoveRange(position, _tokens.Count - position);
        Exit();
    }

    /// <summary>Forgets every position (the cache is reused from position 0).</summary>
    /// <exception cref="InvalidOperationException">Another call is running on this session.</exception>
    public void Reset()
    {
        Enter();
        _tokens.Clear();
        _attentionTicks = 0;
        Exit();
    }

    /// <summary>Frees the KV cache, if the session created it.</summary>
    public void Dispose()
    {
        if (_ownsCache)
            _cache.Dispose();
    }

    /// <summary>Marks the session busy, or throws if a call is already running on it (from another thread).</summary>
    private void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("Another call is running on this session. A session runs one call at a time; "
                + "give each concurrent conversation its own session (sessions of one model may run at once).");
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

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
    /// Position…Position+n−1, top to bottom: embedding, then per layer norm → Q/K/V (+ biases, if any) → RoPE → cache → attention →
    /// output projection → residual, norm → SwiGLU MLP → residual; then the final norm and output head. The tokens
    /// join <see cref="Tokens"/> once their keys and values are all in the cache.</summary>
    private void Run(ReadOnlySpan<int> tokens, bool computeLogits, bool decodeStep)
    {
        // 8-bit activations (if the options ask for them) in a decode step only: a prompt keeps fp32 activations in every
        // chunk, a last chunk of one token included.
        Int8InputCache? int8Inputs = decodeStep ? _int8Inputs : null;
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
            int8Inputs?.Forget();
            Multiply(block.Query, _xNorm, _query, n, int8Inputs);
            Multiply(block.Key, _xNorm, _key, n, int8Inputs);
            Multiply(block.Value, _xNorm, _value, n, int8Inputs);
            AddBiasRows(_query, block.QueryBias, n);
            AddBiasRows(_key, block.KeyBias, n);
            AddBiasRows(_value, block.ValueBias, n);
            for (int t = 0; t < n; t++)
                _rope.Apply(_query.AsSpan(t * qLength, qLength), _key.AsSpan(t * kvLength, kvLength), first + t);
            long started = Stopwatch.GetTimestamp();
            Attend(layer, first, n);
            _attentionTicks += Stopwatch.GetTimestamp() - started;
            int8Inputs?.Forget();
            Multiply(block.Output, _attended, _projected, n, int8Inputs);
            TensorPrimitives.Add(_x.AsSpan(0, n * embd), _projected.AsSpan(0, n * embd), _x.AsSpan(0, n * embd));

            // MLP: down(silu(gate(x)) ⊙ up(x)).
            RmsNormRows(_x, block.FeedForwardNorm, _xNorm, n);
            int8Inputs?.Forget();
            Multiply(block.Gate, _xNorm, _gate, n, int8Inputs);
            Multiply(block.Up, _xNorm, _up, n, int8Inputs);
            SwiGlu(_gate.AsSpan(0, n * ffn), _up.AsSpan(0, n * ffn), _sigmoid.AsSpan(0, n * ffn));
            int8Inputs?.Forget();
            Multiply(block.Down, _gate, _projected, n, int8Inputs);
            TensorPrimitives.Add(_x.AsSpan(0, n * embd), _projected.AsSpan(0, n * embd), _x.AsSpan(0, n * embd));
        }

        foreach (int token in tokens)
            _tokens.Add(token);
        if (computeLogits)
        {
            Span<float> last = _x.AsSpan((n - 1) * embd, embd);
            RmsNorm(last, _weights.OutputNorm, _xNorm.AsSpan(0, embd), _config.RmsNormEpsilon);
            int8Inputs?.Forget();
            Multiply(_weights.OutputHead, _xNorm, _logits, 1, int8Inputs);
        }
    }

    /// <summary>Appends the chunk's keys and values to the cache and attends causally: token t sees positions
    /// 0…first+t (within the window, if the cache has one). A decode step (one token) splits its positions over the
    /// pool's threads (split-KV, merged by log-sum-exp; short contexts stay on one thread); a prompt chunk runs the tiled
    /// prefill kernel, which reads each K/V row once per tile of queries for all heads of its group, its work items
    /// spread over the pool.</summary>
    private void Attend(int layer, int first, int n)
    {
        int qLength = _config.Shape.QueryLength, kvLength = _config.Shape.KvLength;
        if (n == 1)
        {
            _attention.AppendKv(_cache, layer, first, _key.AsSpan(0, kvLength), _value.AsSpan(0, kvLength));
            _attention.Decode(_query.AsSpan(0, qLength), _cache, layer, new KvRange(0, first + 1), _attended.AsSpan(0, qLength), default, _pool);
            return;
        }
        _attention.AppendAndPrefill(_query.AsSpan(0, n * qLength), _key.AsSpan(0, n * kvLength), _value.AsSpan(0, n * kvLength),
            _cache, layer, first, n, _attended.AsSpan(0, n * qLength), _pool);
    }

    /// <summary>One matrix product of the forward pass: matrix-vector for one token (with 8-bit activations when
    /// <paramref name="int8Inputs"/> is given, in a decode step, and the weights take them), batched for a prompt chunk.</summary>
    private void Multiply(WeightMatrix weights, float[] input, float[] output, int tokens, Int8InputCache? int8Inputs)
    {
        if (tokens == 1 && int8Inputs is not null && Int8InputCache.Takes(weights))
            weights.MultiplyVector(int8Inputs.Get(input, weights.Columns, WeightMatrix.Int8BlockElements(weights.Type)), output.AsSpan(0, weights.Rows), _pool);
        else if (tokens == 1)
            weights.MultiplyVector(input.AsSpan(0, weights.Columns), output.AsSpan(0, weights.Rows), _pool);
        else
            weights.MultiplyMatrix(input.AsSpan(0, tokens * weights.Columns), tokens, output.AsSpan(0, tokens * weights.Rows), _pool);
    }

    /// <summary>Adds <paramref name="bias"/> to each of the first <paramref name="tokens"/> rows of
    /// <paramref name="rows"/> (qwen2's Q/K/V biases, before RoPE as in llama.cpp's build_qwen2); no-op when null.</summary>
    private static void AddBiasRows(float[] rows, float[]? bias, int tokens)
    {
        if (bias is null)
            return;
        for (int t = 0; t < tokens; t++)
        {
            Span<float> row = rows.AsSpan(t * bias.Length, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
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
