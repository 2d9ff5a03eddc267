using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

public class RoundTripTests
{
    public static TheoryData<string> Texts() =>
    [
        "Hello world",
        "  leading, double  and trailing spaces  ",
        " ",
        "\n",
        "Line one\nLine two\r\n\nTabs\tand\ttabs",
        "Numbers: 0, 12, 345, 6789 and 1234567890.",
        "Punctuation... (parentheses) [brackets] {braces} \"quotes\" 'single' - dash, em—dash; colon: semicolon! why?",
        "It's, they'll, we've, I'M, DON'T",
        "Café, naïve, über, résumé, Ünïcödé, straße",
        "日本語のテキストと中文",
        "Emoji: 🙂👍🏽🚀 and a flag 🇫🇷 and 𠀀",
        "",
    ];

    public static TheoryData<string, int> Vocabularies() => new()
    {
        { TokenizerData.Gpt2Model, 300 },
        { TokenizerData.Gpt2Model, 512 },
        { TokenizerData.Gpt2Model, 4000 },
        { TokenizerData.LlamaModel, 300 },
        { TokenizerData.LlamaModel, 1000 },
        { TokenizerData.LlamaModel, 4000 },
    };

    private static TokenizerData Synthetic(string model, int size) =>
        model == TokenizerData.Gpt2Model ? SyntheticVocabulary.Gpt2(size) : SyntheticVocabulary.Llama(size);

    [Theory]
    [MemberData(nameof(Texts))]
    public void Decode_inverts_Encode_on_both_synthetic_vocabularies(string text)
    {
        foreach (var (model, size) in new[] { ("gpt2", 512), ("llama", 1000) })
        {
            var tokenizer = GgufTokenizer.Create(Synthetic(model, size));
            var tokens = tokenizer.Encode(text, addBos: false);
            Assert.Equal(text, tokenizer.Decode(tokens));
            Assert.All(tokens, t => Assert.InRange(t, 0, size - 1));
        }
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Decode_inverts_Encode_on_random_text(string model, int size)
    {
        var tokenizer = GgufTokenizer.Create(Synthetic(model, size));
        var random = new Random(size);
        for (int trial = 0; trial < 200; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(0, 50));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: false)));
        }
    }

    [Fact]
    public void ByteLevel_Decode_skips_bos_so_the_round_trip_holds_with_it()
    {
        var tokenizer = GgufTokenizer.Create(SyntheticVocabulary.Gpt2(512));
        const string text = " Hello, world!";
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: true)));
    }

    [Fact]
    public void SentencePiece_keeps_the_space_prefix_after_bos_as_llama_cpp_does()
    {
        var tokenizer = GgufTokenizer.Create(SyntheticVocabulary.Llama(1000));
        const string text = "Hello, world!";
        Assert.Equal(" " + text, tokenizer.Decode(tokenizer.Encode(text, addBos: true)));
    }

    [Fact]
    public void Synthetic_vocabularies_actually_merge()
    {
        // Round trips would also pass with one token per byte; check that common words are single tokens.
        var gpt2 = GgufTokenizer.Create(SyntheticVocabulary.Gpt2(512));
        Assert.Single(gpt2.Encode(" the", addBos: false));
        Assert.Single(gpt2.Encode(" light", addBos: false));
        var llama = GgufTokenizer.Create(SyntheticVocabulary.Llama(1000));
        Assert.Single(llama.Encode("the", addBos: false));
        Assert.Equal("▁the", llama.TokenText(llama.Encode("the", addBos: false)[0]));
        Assert.True(llama.Encode("The lighthouse keeper", addBos: false).Count <= 4);
    }
}
