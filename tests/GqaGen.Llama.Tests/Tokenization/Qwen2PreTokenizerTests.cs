using System.Text.RegularExpressions;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

/// <summary>Qwen2's pre-tokenizer (llama.cpp's <c>LLAMA_VOCAB_PRE_TYPE_QWEN2</c>) and round trips through a Qwen2
/// vocabulary.</summary>
public sealed class Qwen2PreTokenizerTests
{
    // llama-vocab.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2 regex (the tokenizer.json one it quotes, with the (?i:) group).
    private const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static string[] Split(string text)
    {
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.Split(text, BpePreTokenizerKind.Qwen2, words);
        return [.. words.Select(w => text.Substring(w.Start, w.Length))];
    }

    [Fact]
    public void Qwen2_is_parsed_from_its_gguf_name() =>
        Assert.Equal(BpePreTokenizerKind.Qwen2, BpePreTokenizer.Parse("qwen2"));

    [Fact]
    public void Digits_are_split_one_by_one()
    {
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7"], Split("1234567"));
        Assert.Equal(["in", " ", "2", "0", "2", "4", ",", " ", "1", "2", " cats"], Split("in 2024, 12 cats"));
    }

    [Fact]
    public void Words_contractions_and_line_breaks_split_as_in_llama3()
    {
        Assert.Equal(["Hello", " world", "!"], Split("Hello world!"));
        Assert.Equal(["I", "'M", " here", "'s"], Split("I'M here's"));
        Assert.Equal(["Hi", ".\n\n", "  ", " Bye"], Split("Hi.\n\n   Bye"));
        // A punctuation mark joins the letters after it ([^\r\n\p{L}\p{N}]?\p{L}+), the fullwidth comma included.
        Assert.Equal(["你好", "，世界"], Split("你好，世界"));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Agrees_with_the_regex_on_random_basic_plane_text(int seed)
    {
        var random = new Random(seed * 7919 + Environment.TickCount);
        var qwen2 = new Regex(Qwen2Pattern, RegexOptions.CultureInvariant);
        for (int trial = 0; trial < 300; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(1, 30), basicPlaneOnly: true);
            Assert.Equal(RegexWords(qwen2, text), Split(text));
        }
    }

    [Theory]
    [InlineData("Hello,   world!\n\nIt's 2024.")]
    [InlineData("3.14159 × 10^23 ≈ 1,000,000")]
    [InlineData("標準中文與日本語のテキスト，還有한국어.")]
    [InlineData("emoji 😀👍🏽🇯🇵 and ZWJ 👩‍👩‍👧")]
    [InlineData("  tabs\tand\r\nCRLF  \n")]
    public void Text_round_trips_through_a_qwen2_vocabulary(string text)
    {
        var tokenizer = GgufTokenizer.Create(Qwen2TestVocabulary.Create());
        var ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void Random_text_round_trips_through_a_qwen2_vocabulary()
    {
        var tokenizer = GgufTokenizer.Create(Qwen2TestVocabulary.Create());
        var random = new Random(Environment.TickCount);
        for (int trial = 0; trial < 200; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(0, 40));
            var ids = tokenizer.Encode(text, addBos: true);
            Assert.Equal(text, tokenizer.Decode(ids));
            // No token spans two digits: Qwen2 never merges across its one-digit words.
            Assert.DoesNotContain(ids, id => tokenizer.TokenText(id).Count(char.IsDigit) > 1);
        }
    }

    private static string[] RegexWords(Regex regex, string text)
    {
        // Like llama.cpp's unicode_regex_split_stl: matches, with any unmatched gap kept as a word of its own.
        var words = new List<string>();
        int position = 0;
        foreach (Match match in regex.Matches(text))
        {
            if (match.Index > position)
                words.Add(text[position..match.Index]);
            words.Add(match.Value);
            position = match.Index + match.Length;
        }
        if (position < text.Length)
            words.Add(text[position..]);
        return [.. words];
    }
}
