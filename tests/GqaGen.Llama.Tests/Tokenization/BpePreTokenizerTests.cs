using System.Text.RegularExpressions;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

public class BpePreTokenizerTests
{
    // The regexes llama.cpp's scanners implement (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_LLAMA3 and _GPT2).
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static string[] Split(string text, BpePreTokenizerKind kind)
    {
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.Split(text, kind, words);
        return [.. words.Select(w => text.Substring(w.Start, w.Length))];
    }

    [Fact]
    public void Llama3_pre_tokenizer_splits_words_spaces_numbers_and_punctuation()
    {
        Assert.Equal(["Hello", " world", " ", "123", "!"], Split("Hello world 123!", BpePreTokenizerKind.Llama3));
    }

    [Fact]
    public void Llama3_pre_tokenizer_cuts_numbers_into_groups_of_up_to_three_digits()
    {
        Assert.Equal(["123", "456", "7"], Split("1234567", BpePreTokenizerKind.Llama3));
        Assert.Equal(["in", " ", "202", "4", ",", " ", "12", " cats"], Split("in 2024, 12 cats", BpePreTokenizerKind.Llama3));
    }

    [Fact]
    public void Gpt2_pre_tokenizer_keeps_the_space_with_the_number_and_does_not_group_digits()
    {
        Assert.Equal(["Hello", " world", " 123", "!"], Split("Hello world 123!", BpePreTokenizerKind.Gpt2));
        Assert.Equal(["1234567"], Split("1234567", BpePreTokenizerKind.Gpt2));
    }

    [Fact]
    public void Contractions_are_case_insensitive_only_for_Llama3()
    {
        Assert.Equal(["I", "'M", " here", "'s"], Split("I'M here's", BpePreTokenizerKind.Llama3));
        Assert.Equal(["I", "'", "M", " here", "'s"], Split("I'M here's", BpePreTokenizerKind.Gpt2));
    }

    [Fact]
    public void Llama3_pre_tokenizer_keeps_line_breaks_with_preceding_punctuation_and_spaces()
    {
        Assert.Equal(["Hi", ".\n\n", "  ", " Bye"], Split("Hi.\n\n   Bye", BpePreTokenizerKind.Llama3));
        Assert.Equal(["a", " \n", "b"], Split("a \nb", BpePreTokenizerKind.Llama3));
    }

    [Fact]
    public void Letters_outside_the_basic_plane_are_letters()
    {
        // U+20000 (CJK Extension B) and U+1D400 (mathematical bold A) are letters; a UTF-16 regex would not see it.
        Assert.Equal([" 𠀀𝐀x"], Split(" 𠀀𝐀x", BpePreTokenizerKind.Llama3));
        Assert.Equal([" 𠀀𝐀x"], Split(" 𠀀𝐀x", BpePreTokenizerKind.Gpt2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BpePreTokenizer_agrees_with_the_regexes_on_random_basic_plane_text(int seed)
    {
        var random = new Random(seed);
        var llama3 = new Regex(Llama3Pattern, RegexOptions.CultureInvariant);
        var gpt2 = new Regex(Gpt2Pattern, RegexOptions.CultureInvariant);
        for (int trial = 0; trial < 300; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(1, 30), basicPlaneOnly: true);
            Assert.Equal(RegexWords(llama3, text), Split(text, BpePreTokenizerKind.Llama3));
            Assert.Equal(RegexWords(gpt2, text), Split(text, BpePreTokenizerKind.Gpt2));
        }
    }

    [Fact]
    public void Words_cover_the_text_exactly()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(0, 40));
            Assert.Equal(text, string.Concat(Split(text, BpePreTokenizerKind.Llama3)));
            Assert.Equal(text, string.Concat(Split(text, BpePreTokenizerKind.Gpt2)));
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("default", false)]
    [InlineData("gpt2", false)]
    [InlineData("gpt-2", false)]
    [InlineData("llama-bpe", true)]
    [InlineData("llama3", true)]
    [InlineData("llama-v3", true)]
    public void BpePreTokenizer_parses_the_names_llama_cpp_uses(string? name, bool isLlama3) =>
        Assert.Equal(isLlama3 ? BpePreTokenizerKind.Llama3 : BpePreTokenizerKind.Gpt2, BpePreTokenizer.Parse(name));

    [Fact]
    public void BpePreTokenizer_does_not_support_an_unknown_pre_tokenizer()
    {
        var error = Assert.Throws<NotSupportedException>(() => BpePreTokenizer.Parse("chatglm-bpe"));
        Assert.Contains("\"chatglm-bpe\"", error.Message);
        Assert.Contains("tokenizer.ggml.pre", error.Message);
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
