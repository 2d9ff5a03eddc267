using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

public class TokenStreamerTests
{
    [Theory]
    [InlineData("llama", "日")]  // three byte-fallback tokens
    [InlineData("llama", "🚀")]  // four
    [InlineData("gpt2", "日")]   // three single-byte tokens: the corpus never taught a merge for them
    [InlineData("gpt2", "🚀")]
    public void MultiByteCharacterSplitOverTokensIsHeldBackUntilComplete(string model, string character)
    {
        var tokenizer = GgufTokenizer.Create(model == "gpt2" ? SyntheticVocabulary.Gpt2(512) : SyntheticVocabulary.Llama(1000));
        var tokens = tokenizer.Encode(character, addBos: false).ToList();
        if (model == "llama")
            tokens.RemoveAt(0); // the "▁" of the space prefix
        int byteCount = System.Text.Encoding.UTF8.GetByteCount(character);
        Assert.Equal(byteCount, tokens.Count);

        var streamer = tokenizer.CreateStreamer();
        for (int i = 0; i < tokens.Count - 1; i++)
            Assert.Equal("", streamer.Append(tokens[i]));
        Assert.Equal(character, streamer.Append(tokens[^1]));
        Assert.Equal("", streamer.Flush());
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Streamed_text_equals_decoded_text_on_random_input(string model)
    {
        var tokenizer = GgufTokenizer.Create(model == "gpt2" ? SyntheticVocabulary.Gpt2(700) : SyntheticVocabulary.Llama(700));
        var random = new Random(5);
        for (int trial = 0; trial < 100; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(1, 40));
            var tokens = tokenizer.Encode(text, addBos: true);
            var streamer = tokenizer.CreateStreamer();
            var streamed = string.Concat(tokens.Select(streamer.Append)) + streamer.Flush();
            // The streamer keeps the space prefix a SentencePiece encoder adds; Decode keeps it after BOS too.
            Assert.Equal(tokenizer.Decode(tokens), streamed);
            Assert.Equal(model == "llama" ? " " + text : text, streamed);
        }
    }

    [Fact]
    public void Incomplete_or_broken_sequences_print_as_replacement_characters()
    {
        var data = SyntheticVocabulary.Llama(300);
        var tokenizer = GgufTokenizer.Create(data);
        int e6 = TokenizerTestData.IndexOf(data, "<0xE6>");
        int letterA = TokenizerTestData.IndexOf(data, "a");

        var streamer = tokenizer.CreateStreamer();
        Assert.Equal("", streamer.Append(e6));
        Assert.Equal("\uFFFD", streamer.Flush());
        Assert.Equal("", streamer.Flush());

        // A lead byte followed by a character that cannot continue it.
        Assert.Equal("", streamer.Append(e6));
        Assert.Equal("\uFFFDa", streamer.Append(letterA));
    }

    [Fact]
    public void Control_tokens_print_nothing()
    {
        var data = SyntheticVocabulary.Gpt2(300);
        var streamer = GgufTokenizer.Create(data).CreateStreamer();
        Assert.Equal("", streamer.Append(data.BosId));
        Assert.Equal("", streamer.Append(data.EosId));
    }

    [Fact]
    public void Token_outside_the_vocabulary_is_rejected()
    {
        var streamer = GgufTokenizer.Create(SyntheticVocabulary.Gpt2(300)).CreateStreamer();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => streamer.Append(300));
        Assert.Equal("token", error.ParamName);
        Assert.Equal(300, error.ActualValue);
        Assert.Contains("Token id 300 is outside the vocabulary of 300 tokens (valid ids are 0 to 299)", error.Message, StringComparison.Ordinal);
    }
}
