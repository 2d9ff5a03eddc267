namespace GqaGen.Llama;

/// <summary>
/// Draws tokens from logits in llama.cpp's default sampler order: repetition penalty over the recent tokens → top-k →
/// top-p (nucleus) → min-p → temperature → a seeded draw; greedy options take the argmax after the penalty. Top-p and
/// min-p judge probabilities at temperature 1, and the temperature shapes only the final draw among the tokens they
/// kept, as llama.cpp's chain does (Hugging Face's generate applies the temperature first).
/// </summary>
/// <remarks>The penalty looks at the tokens given to <see cref="Accept"/>, as llama.cpp's <c>llama_sampler_accept</c>:
/// a generator accepts the prompt's tokens and then each token it draws. Not thread-safe: one sampler per generation.</remarks>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly int[] _recent;   // (RepetitionPenaltyLastN) a ring of the last accepted tokens
    private readonly int[] _distinct; // (RepetitionPenaltyLastN) scratch: the ring, sorted
    private int _recentCount, _recentNext;
    private float[] _penalized = [];
    private float[] _weights = [];
    private int[] _order = [];

    /// <summary>A sampler with its own seeded random sequence and an empty penalty window.</summary>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _random = new Random(options.Seed);
        int window = options.HasRepetitionPenalty ? options.RepetitionPenaltyLastN : 0;
        _recent = new int[window];
        _distinct = new int[window];
    }

    /// <summary>Records <paramref name="token"/> as the latest token of the text (a prompt token or a drawn one), for the
    /// repetition penalty's window; nothing to do when the penalty is off.</summary>
    public void Accept(int token)
    {
        if (_recent.Length == 0)
            return;
        _recent[_recentNext] = token;
        _recentNext = (_recentNext + 1) % _recent.Length;
        _recentCount = Math.Min(_recentCount + 1, _recent.Length);
    }

    /// <summary>The next token for <paramref name="logits"/>. NaN logits are never chosen; if every logit is NaN or −∞
    /// the result is token 0.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("There are no logits to sample from.", nameof(logits));
        if (_recentCount > 0)
            logits = Penalize(logits);
        if (_options.IsGreedy)
            return ArgMax(logits);

        int n = logits.Length;
        if (_weights.Length < n)
        {
            _weights = new float[n];
            _order = new int[n];
        }
        Span<float> p = _weights.AsSpan(0, n);
        Span<int> order = _order.AsSpan(0, n);

        float max = float.NegativeInfinity;
        foreach (float l in logits)
            if (l > max) max = l;
        if (float.IsNegativeInfinity(max))
            return 0;
        if (float.IsPositiveInfinity(max))
            return ArgMax(logits); // an infinite logit takes all the probability
        for (int i = 0; i < n; i++)
            order[i] = i;
        float temperature = _options.Temperature;

        // Plain temperature sampling needs no filtering: draw over the whole distribution.
        if (_options.TopK == 0 && _options.TopP >= 1 && _options.MinP == 0)
        {
            Weigh(logits, max, temperature, p, order);
            return Draw(p, order, n);
        }

        // The filters judge softmax(logits) at temperature 1, unnormalized: p = exp(logit − max) ≤ 1, NaN impossible.
        Weigh(logits, max, 1f, p, order);
        int kept = n;
        if (_options.TopK > 0 || _options.TopP < 1)
        {
            // Most likely first (ties: lower id first). With top-k only the k most likely are selected and ordered, in
            // O(n log k): a 128k vocabulary is not sorted for every token.
            kept = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
            float[] probabilities = _weights;
            Comparison<int> moreLikely = (a, b) => probabilities[b].CompareTo(probabilities[a]) is var c && c != 0 ? c : a.CompareTo(b);
            if (kept < n)
                SelectMostLikely(order, kept, moreLikely);
            order[..kept].Sort(moreLikely);
        }

        if (_options.TopP < 1)
        {
            // Normalized over what top-k kept, as llama.cpp's top-p takes the softmax of its candidates.
            double total = 0;
            for (int i = 0; i < kept; i++)
                total += p[order[i]];
            double cumulative = 0;
            for (int i = 0; i < kept; i++)
            {
                cumulative += p[order[i]] / total;
                if (cumulative >= _options.TopP)
                {
                    kept = i + 1;
                    break;
                }
            }
        }

        if (_options.MinP > 0)
        {
            // p / p_max ≥ MinP, and p_max = exp(0) = 1: the most likely token (always kept so far) survives any MinP ≤ 1.
            float threshold = _options.MinP;
            int survivors = 0;
            for (int i = 0; i < kept; i++)
            {
                if (p[order[i]] >= threshold)
                    order[survivors++] = order[i]; // keeps the order, sorted or by id
            }
            kept = survivors;
        }

        if (temperature != 1f)
            Weigh(logits, max, temperature, p, order[..kept]);
        return Draw(p, order, kept);
    }

    /// <summary>p[t] = exp((logit[t] − max) / T) for each t in <paramref name="tokens"/>, 0 for NaN. (logit − max) ≤ 0,
    /// so dividing by T gives 0 or −∞, never 0 · ∞ (as 1/T would for a subnormal T).</summary>
    private static void Weigh(ReadOnlySpan<float> logits, float max, float temperature, Span<float> p, ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens)
            p[t] = float.IsNaN(logits[t]) ? 0 : MathF.Exp((logits[t] - max) / temperature);
    }

    /// <summary>A copy of <paramref name="logits"/> with llama.cpp's repetition penalty applied once to each distinct
    /// token of the window: a positive logit divided by the penalty, any other multiplied by it.</summary>
    private ReadOnlySpan<float> Penalize(ReadOnlySpan<float> logits)
    {
        if (_penalized.Length < logits.Length)
            _penalized = new float[logits.Length];
        Span<float> penalized = _penalized.AsSpan(0, logits.Length);
        logits.CopyTo(penalized);

        Span<int> window = _distinct.AsSpan(0, _recentCount);
        _recent.AsSpan(0, _recentCount).CopyTo(window);
        window.Sort();
        float penalty = _options.RepetitionPenalty;
        for (int i = 0; i < window.Length; i++)
        {
            int token = window[i];
            if ((i > 0 && token == window[i - 1]) || (uint)token >= (uint)penalized.Length)
                continue;
            float l = penalized[token];
            penalized[token] = l > 0 ? l / penalty : l * penalty;
        }
        return penalized;
    }

    /// <summary>Moves the <paramref name="k"/> most likely tokens of <paramref name="order"/> to its front (unordered),
    /// keeping the k best seen so far in a heap whose root is the least likely of them.</summary>
    private static void SelectMostLikely(Span<int> order, int k, Comparison<int> moreLikely)
    {
        var heap = new PriorityQueue<int, int>(k, Comparer<int>.Create((a, b) => moreLikely(b, a)));
        foreach (int token in order)
        {
            if (heap.Count < k)
                heap.Enqueue(token, token);
            else if (moreLikely(token, heap.Peek()) < 0)
                heap.EnqueueDequeue(token, token);
        }
        for (int i = 0; heap.TryDequeue(out int token, out _); i++)
            order[i] = token;
    }

    /// <summary>Draws among the first <paramref name="count"/> tokens of <paramref name="order"/>, in proportion to <paramref name="p"/>.</summary>
    private int Draw(ReadOnlySpan<float> p, ReadOnlySpan<int> order, int count)
    {
        double total = 0;
        for (int i = 0; i < count; i++)
            total += p[order[i]];
        double draw = _random.NextDouble() * total;
        int lastPossible = order[0];
        for (int i = 0; i < count; i++)
        {
            if (p[order[i]] <= 0)
                continue;
            lastPossible = order[i];
            draw -= p[order[i]];
            if (draw < 0)
                return order[i];
        }
        return lastPossible; // rounding left a sliver: the last kept token that could be drawn
    }

    /// <summary>The index of the largest logit (the first one on ties; NaN never wins).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] > bestValue)
            {
                bestValue = logits[i];
                best = i;
            }
        }
        return best;
    }
}
