using System.Text;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Synthetic;

/// <summary>Small, deterministic tokenizer vocabularies for tests, samples and benchmarks (no downloads), built from
/// <see cref="SyntheticCorpus"/>: a byte-level BPE one (<see cref="Gpt2(int)"/>) and a SentencePiece one (<see cref="Llama(int)"/>).
/// The same size always gives the same data.</summary>
/// <remarks>Merges are learned from the corpus (<see cref="BpeMergeLearner"/>) until every corpus word is one token
/// (about 700 tokens for gpt2, 800 for llama); a vocabulary asked to be larger than that is filled with concatenations of the pieces
/// learned so far, most frequent first, so any size is possible (a 32000-token vocabulary for a TinyLlama-shaped
/// benchmark model included) and every extra token is still a well-formed merge.</remarks>
public static class SyntheticVocabulary
{
    private const string BeginOfText = "<|begin_of_text|>";
    private const string EndOfText = "<|end_of_text|>";
    private const char EscapedSpace = '\u2581';

    private static readonly Lazy<List<(string Left, string Right)>> Gpt2Merges = new(LearnGpt2Merges);
    private static readonly Lazy<(List<string> Alphabet, List<(string Left, string Right)> Merges)> LlamaPieces = new(LearnLlamaPieces);

    /// <summary>The 256 byte tokens (id = byte value), the learned merges, then <c>&lt;|begin_of_text|&gt;</c> (BOS) and
    /// <c>&lt;|end_of_text|&gt;</c> (EOS) as the last two ids, as Llama 3 places its special tokens; Llama 3's
    /// pre-tokenizer (<c>"llama-bpe"</c>), add-BOS on.</summary>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 258.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 258.</exception>
    public static TokenizerData Gpt2(int vocabularySize) => Gpt2(vocabularySize, []);

    /// <summary>As <see cref="Gpt2(int)"/>, with <paramref name="controlTokens"/> (a chat template's
    /// <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>, ...) as control tokens just before BOS and EOS, in place of
    /// the last merges. A control token that is already the vocabulary's BOS or EOS text is not added twice.</summary>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 258 plus the control tokens.</param>
    /// <param name="controlTokens">Distinct token texts; empty gives exactly <see cref="Gpt2(int)"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is too small.</exception>
    public static TokenizerData Gpt2(int vocabularySize, IReadOnlyList<string> controlTokens)
    {
        ArgumentNullException.ThrowIfNull(controlTokens);
        string[] controls = [.. controlTokens.Where(t => t is not (BeginOfText or EndOfText)).Distinct(StringComparer.Ordinal)];
        int reserved = 256 + 2 + controls.Length;
        if (vocabularySize < reserved)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize,
                $"A synthetic gpt2 vocabulary needs at least {reserved} tokens (256 byte tokens, {BeginOfText}, {EndOfText}{(controls.Length > 0 ? $" and {controls.Length} control tokens" : "")}); got {vocabularySize}.");
        int normalCount = vocabularySize - 2 - controls.Length;
        var tokens = new List<string>(vocabularySize);
        // The control tokens are known from the start, so that no learned or joined token can repeat one.
        var known = new HashSet<string>(controls, StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            tokens.Add(ByteLevelEncoding.ToChar((byte)b).ToString());
            known.Add(tokens[^1]);
        }

        var merges = new List<string>();
        var learned = new List<string>();
        foreach (var (left, right) in Gpt2Merges.Value)
        {
            if (tokens.Count == normalCount)
                break;
            merges.Add($"{left} {right}");
            if (known.Add(left + right))
            {
                tokens.Add(left + right);
                learned.Add(left + right);
            }
        }
        FillWithConcatenations(tokens, known, normalCount, [.. learned, .. tokens.Take(256)],
            (left, right) => merges.Add($"{left} {right}"));

        tokens.AddRange(controls);
        tokens.Add(BeginOfText);
        tokens.Add(EndOfText);
        var types = new int[vocabularySize];
        Array.Fill(types, (int)GgufTokenType.Normal);
        types.AsSpan(normalCount).Fill((int)GgufTokenType.Control);
        return new TokenizerData(TokenizerData.Gpt2Model, tokens, Scores: null, types, merges,
            BosId: vocabularySize - 2, EosId: vocabularySize - 1, UnknownId: null, PaddingId: null,
            AddBos: true, PreTokenizer: "llama-bpe");
    }

    /// <summary><c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c> (BOS), <c>&lt;/s&gt;</c> (EOS) and the 256 byte-fallback tokens
    /// <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c>, as Llama 2 numbers them; then the corpus's characters, most frequent
    /// first; then the learned pieces, scored -0, -1, -2, ... in the order learned (SentencePiece BPE merges the
    /// best-scoring piece first), the characters scoring below them all. Characters outside the vocabulary encode
    /// through byte fallback.</summary>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 259.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 259.</exception>
    public static TokenizerData Llama(int vocabularySize) => Llama(vocabularySize, []);

    /// <summary>As <see cref="Llama(int)"/>, with <paramref name="controlTokens"/> (a chat template's
    /// <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>, ...) as control tokens with score 0 at the last ids, in
    /// place of the last pieces.</summary>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 259 plus the control tokens.</param>
    /// <param name="controlTokens">Distinct token texts, none of them <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>,
    /// <c>&lt;/s&gt;</c> or a byte token; empty gives exactly <see cref="Llama(int)"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is too small.</exception>
    /// <exception cref="ArgumentException">A control token repeats a fixed token or another control token.</exception>
    public static TokenizerData Llama(int vocabularySize, IReadOnlyList<string> controlTokens)
    {
        ArgumentNullException.ThrowIfNull(controlTokens);
        const int fixedTokens = 3 + 256;
        int reserved = fixedTokens + controlTokens.Count;
        if (vocabularySize < reserved)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize,
                $"A synthetic llama vocabulary needs at least {reserved} tokens (<unk>, <s>, </s> and 256 byte tokens{(controlTokens.Count > 0 ? $", and {controlTokens.Count} control tokens" : "")}); got {vocabularySize}.");
        // The pieces fill the ids below the control tokens.
        int normalEnd = vocabularySize - controlTokens.Count;
        var tokens = new List<string>(vocabularySize) { "<unk>", "<s>", "</s>" };
        var types = new List<int> { (int)GgufTokenType.Unknown, (int)GgufTokenType.Control, (int)GgufTokenType.Control };
        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add((int)GgufTokenType.Byte);
        }
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (string control in controlTokens)
        {
            if (!known.Add(control))
                throw new ArgumentException($"Control token \"{control}\" repeats a fixed token or another control token.", nameof(controlTokens));
        }

        var (alphabet, learnedMerges) = LlamaPieces.Value;
        const int reservedBeforePieces = fixedTokens;
        var characters = alphabet.Take(normalEnd - reservedBeforePieces).ToList();
        foreach (string character in characters)
        {
            tokens.Add(character);
            known.Add(character);
        }
        var pieces = new List<string>();
        foreach (var (left, right) in learnedMerges)
        {
            if (tokens.Count == normalEnd)
                break;
            if (known.Add(left + right))
            {
                tokens.Add(left + right);
                pieces.Add(left + right);
            }
        }
        FillWithConcatenations(tokens, known, normalEnd, [.. pieces, .. characters], onJoin: null);
        int pieceCount = tokens.Count - reservedBeforePieces - characters.Count;

        var scores = new float[vocabularySize];
        for (int k = 0; k < pieceCount; k++)
            scores[reservedBeforePieces + characters.Count + k] = -k;
        for (int j = 0; j < characters.Count; j++)
            scores[reservedBeforePieces + j] = -(pieceCount + j);
        types.AddRange(Enumerable.Repeat((int)GgufTokenType.Normal, normalEnd - types.Count));
        tokens.AddRange(controlTokens);
        types.AddRange(Enumerable.Repeat((int)GgufTokenType.Control, controlTokens.Count));
        return new TokenizerData(TokenizerData.LlamaModel, tokens, scores, types, Merges: null,
            BosId: 1, EosId: 2, UnknownId: 0, PaddingId: null, AddBos: true, PreTokenizer: null);
    }

    /// <summary>Adds joined pairs of <paramref name="candidates"/> (first with each, then second with each, ...; new
    /// tokens join the candidates) until <paramref name="tokens"/> holds <paramref name="target"/> entries.</summary>
    private static void FillWithConcatenations(List<string> tokens, HashSet<string> known, int target, List<string> candidates,
        Action<string, string>? onJoin)
    {
        for (int i = 0; tokens.Count < target; i++)
        {
            int bound = candidates.Count;
            for (int j = 0; j < bound && tokens.Count < target; j++)
            {
                string left = candidates[i], right = candidates[j];
                if (!known.Add(left + right))
                    continue;
                tokens.Add(left + right);
                candidates.Add(left + right);
                onJoin?.Invoke(left, right);
            }
        }
    }

    private static List<(string Left, string Right)> LearnGpt2Merges()
    {
        // The words Llama 3's pre-tokenizer makes of the corpus, spelled in GPT-2's byte characters.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.Split(SyntheticCorpus.Text, BpePreTokenizerKind.Llama3, words);
        foreach (var (start, length) in words)
        {
            string word = ByteLevelEncoding.Encode(SyntheticCorpus.Text.AsSpan(start, length));
            counts[word] = counts.GetValueOrDefault(word) + 1;
        }
        return BpeMergeLearner.Learn(counts.Select(w => (w.Key.Select(c => c.ToString()).ToArray(), w.Value)));
    }

    private static (List<string> Alphabet, List<(string Left, string Right)> Merges) LearnLlamaPieces()
    {
        // SentencePiece's words: each whitespace-separated word with its '▁' (the space before it) in front.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string word in SyntheticCorpus.Text.Split([' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
            counts[EscapedSpace + word] = counts.GetValueOrDefault(EscapedSpace + word) + 1;

        var characterCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var splitWords = new List<(string[] Symbols, int Count)>();
        foreach (var (word, count) in counts)
        {
            string[] symbols = [.. word.EnumerateRunes().Select(r => r.ToString())];
            foreach (string symbol in symbols)
                characterCounts[symbol] = characterCounts.GetValueOrDefault(symbol) + count;
            splitWords.Add((symbols, count));
        }
        var alphabet = characterCounts
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Key).ToList();
        return (alphabet, BpeMergeLearner.Learn(splitWords));
    }
}
