using System.Text;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

/// <summary>
/// The test oracle for byte-level BPE: llama.cpp's <c>llm_tokenizer_bpe_session::tokenize</c> (llama-vocab.cpp)
/// transliterated with nothing clever in it, run on the same words as the tokenizer. The tokenizer merges with
/// Microsoft.ML.Tokenizers; agreeing with this on random text shows the package merges as llama.cpp does.
/// </summary>
internal sealed class LlamaCppBpeReference
{
    private readonly Dictionary<string, int> _tokenToId = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _ranks = new();
    private readonly BpePreTokenizerKind _preTokenizer;
    private readonly bool _ignoreMerges;

    public LlamaCppBpeReference(TokenizerData data)
    {
        for (int id = 0; id < data.Tokens.Count; id++)
            _tokenToId[data.Tokens[id]] = id;
        for (int rank = 0; rank < data.Merges!.Count; rank++)
        {
            string merge = data.Merges[rank];
            int space = merge.IndexOf(' ', 1);
            _ranks.TryAdd((merge[..space], merge[(space + 1)..]), rank);
        }
        _preTokenizer = BpePreTokenizer.Parse(data.PreTokenizer);
        _ignoreMerges = _preTokenizer == BpePreTokenizerKind.Llama3;
    }

    public List<int> Tokenize(string text)
    {
        var output = new List<int>();
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.Split(text, _preTokenizer, words);
        foreach (var (start, length) in words)
        {
            string word = SpellInByteCharacters(text.Substring(start, length));
            if (_ignoreMerges && _tokenToId.TryGetValue(word, out int whole))
            {
                output.Add(whole);
                continue;
            }

            // symbols: one per character (every byte character is one UTF-16 unit)
            var symbolText = new List<string>();
            var prev = new List<int>();
            var next = new List<int>();
            for (int i = 0; i < word.Length; i++)
            {
                symbolText.Add(word[i].ToString());
                prev.Add(i - 1);
                next.Add(i + 1 == word.Length ? -1 : i + 1);
            }

            // work_queue: lowest rank first, then leftmost
            var queue = new PriorityQueue<(int Left, int Right, string Text), (int Rank, int Left)>();
            void AddBigram(int left, int right)
            {
                if (left == -1 || right == -1)
                    return;
                if (!_ranks.TryGetValue((symbolText[left], symbolText[right]), out int rank))
                    return;
                queue.Enqueue((left, right, symbolText[left] + symbolText[right]), (rank, left));
            }
            for (int i = 1; i < symbolText.Count; i++)
                AddBigram(i - 1, i);

            while (queue.TryDequeue(out var bigram, out _))
            {
                if (symbolText[bigram.Left].Length == 0 || symbolText[bigram.Right].Length == 0)
                    continue;
                if (symbolText[bigram.Left] + symbolText[bigram.Right] != bigram.Text)
                    continue; // outdated
                symbolText[bigram.Left] = bigram.Text;
                symbolText[bigram.Right] = "";
                next[bigram.Left] = next[bigram.Right];
                if (next[bigram.Right] >= 0)
                    prev[next[bigram.Right]] = bigram.Left;
                AddBigram(prev[bigram.Left], bigram.Left);
                AddBigram(bigram.Left, next[bigram.Left]);
            }

            for (int i = 0; i != -1; i = next[i])
            {
                if (symbolText[i].Length == 0)
                    continue;
                if (_tokenToId.TryGetValue(symbolText[i], out int id))
                {
                    output.Add(id);
                    continue;
                }
                foreach (char c in symbolText[i])
                {
                    if (_tokenToId.TryGetValue(c.ToString(), out int single))
                        output.Add(single);
                }
            }
        }
        return output;
    }

    /// <summary>GPT-2's bytes_to_unicode, written out independently of the runtime's table.</summary>
    private static string SpellInByteCharacters(string text)
    {
        var map = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        var builder = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            builder.Append(map[b]);
        return builder.ToString();
    }
}
