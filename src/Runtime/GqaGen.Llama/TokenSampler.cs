namespace GqaGen.Llama;

/// <summary>
/// Draws tokens from logits: argmax when greedy, else temperature → top-k → top-p (nucleus) → a seeded draw.
/// Temperature comes first, as in Hugging Face's generate (llama.cpp's default chain applies it after top-k/top-p).
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private float[] _probabilities = [];
    private int[] _order = [];

    /// <summary>A sampler with its own seeded random sequence.</summary>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _random = new Random(options.Seed);
    }

    /// <summary>The next token for <paramref name="logits"/>. NaN logits are never chosen; if every logit is NaN or −∞
    /// the result is token 0.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("There are no logits to sample from.", nameof(logits));
        if (_options.IsGreedy)
            return ArgMax(logits);

        int n = logits.Length;
        if (_probabilities.Length < n)
        {
            _probabilities = new float[n];
            _order = new int[n];
        }
        Span<float> p = _probabilities.AsSpan(0, n);
        Span<int> order = _order.AsSpan(0, n);

        // Softmax of logits / T, with NaN as impossible.
        float max = float.NegativeInfinity;
        foreach (float l in logits)
            if (l > max) max = l;
        if (float.IsNegativeInfinity(max))
            return 0;
        if (float.IsPositiveInfinity(max))
            return ArgMax(logits); // an infinite logit takes all the probability
        // (logit − max) ≤ 0, so dividing by T gives 0 or −∞, never 0 · ∞ (as 1/T would for a subnormal T).
        float temperature = _options.Temperature;
        for (int i = 0; i < n; i++)
            p[i] = float.IsNaN(logits[i]) ? 0 : MathF.Exp((logits[i] - max) / temperature);
        for (int i = 0; i < n; i++)
            order[i] = i;

        // Plain temperature sampling needs no ordering: draw over the whole distribution.
        if (_options.TopK == 0 && _options.TopP >= 1)
            return Draw(p, order, n);

        // Most likely first (ties: lower id first). With top-k only the k most likely are selected and ordered, in
        // O(n log k): a 128k vocabulary is not sorted for every token.
        int kept = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
        float[] probabilities = _probabilities;
        Comparison<int> moreLikely = (a, b) => probabilities[b].CompareTo(probabilities[a]) is var c && c != 0 ? c : a.CompareTo(b);
        if (kept < n)
            SelectMostLikely(order, kept, moreLikely);
        order[..kept].Sort(moreLikely);

        if (_options.TopP < 1)
        {
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

        return Draw(p, order, kept);
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
        for (int i = 0; i < count; i++)
        {
            draw -= p[order[i]];
            if (draw < 0)
                return order[i];
        }
        return order[count - 1]; // rounding left a sliver: the last kept token
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
