namespace GqaGen.Synthetic;

/// <summary>Learns BPE merges from word counts the classic greedy way (Sennrich et al. 2016): repeatedly join the
/// adjacent pair of symbols that occurs most often, until every word is one symbol. Ties go to the ordinally
/// smallest pair, so the result depends on nothing but the words.</summary>
internal static class BpeMergeLearner
{
    /// <summary>The merges, in the order learned (the first is the most frequent pair).</summary>
    /// <param name="words">Each distinct word as its initial symbols (characters), with how often it occurs.</param>
    public static List<(string Left, string Right)> Learn(IEnumerable<(string[] Symbols, int Count)> words)
    {
        var working = words.Select(w => (Symbols: new List<string>(w.Symbols), w.Count)).ToList();
        var merges = new List<(string Left, string Right)>();
        var pairCounts = new Dictionary<(string Left, string Right), int>();
        while (true)
        {
            pairCounts.Clear();
            foreach (var (symbols, count) in working)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + count;
                }
            }
            if (pairCounts.Count == 0)
                return merges;

            var best = pairCounts.First();
            foreach (var candidate in pairCounts)
            {
                if (candidate.Value > best.Value || (candidate.Value == best.Value && IsOrdinallySmaller(candidate.Key, best.Key)))
                    best = candidate;
            }
            var (left, right) = best.Key;
            merges.Add((left, right));
            string joined = left + right;
            foreach (var (symbols, _) in working)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
    }

    private static bool IsOrdinallySmaller((string Left, string Right) a, (string Left, string Right) b)
    {
        int byLeft = string.CompareOrdinal(a.Left, b.Left);
        return byLeft != 0 ? byLeft < 0 : string.CompareOrdinal(a.Right, b.Right) < 0;
    }
}
