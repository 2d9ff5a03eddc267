using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

public class GgufTokenizerTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(512)]
    [InlineData(int.MaxValue)]
    public void Decode_rejects_ids_outside_the_vocabulary_naming_id_and_size(int id)
    {
        var tokenizer = GgufTokenizer.Create(SyntheticVocabulary.Gpt2(512));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([5, id]));
        Assert.Equal("tokens", error.ParamName);
        Assert.Contains($"Token id {id}", error.Message);
        Assert.Contains("512 tokens", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenText(id));
    }

    [Fact]
    public void GgufTokenizer_checks_its_arguments()
    {
        var tokenizer = GgufTokenizer.Create(SyntheticVocabulary.Llama(300));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Encode(null!, addBos: true));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => GgufTokenizer.FromGguf(null!));
    }

    [Fact]
    public void End_of_generation_is_eos_and_Llama3_style_end_of_turn()
    {
        var data = TokenizerTestData.Bpe("llama-bpe", ["<|eot_id|>", "ab"], ["a b"]);
        var tokenizer = GgufTokenizer.Create(data);
        int eot = TokenizerTestData.IndexOf(data, "<|eot_id|>");

        Assert.True(tokenizer.IsEndOfGeneration(data.EosId));
        Assert.True(tokenizer.IsEndOfGeneration(eot));
        Assert.False(tokenizer.IsEndOfGeneration(data.BosId));
        Assert.False(tokenizer.IsEndOfGeneration('a'));
        Assert.False(tokenizer.IsEndOfGeneration(-1));
        Assert.False(tokenizer.IsEndOfGeneration(data.Tokens.Count));
        // Stored as a normal token, <|eot_id|> is still treated as control (llama.cpp overrides its type): it prints
        // nothing and is parsed only as a special token.
        Assert.Equal("", tokenizer.Decode([eot]));
        Assert.Equal([eot], tokenizer.Encode("<|eot_id|>", addBos: false, parseSpecial: true));
    }

    [Fact]
    public void Properties_reflect_the_data()
    {
        var data = SyntheticVocabulary.Llama(400);
        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal((400, 1, 2, true), (tokenizer.VocabularySize, tokenizer.BosId, tokenizer.EosId, tokenizer.AddBos));
        Assert.Equal("<0x0A>", tokenizer.TokenText(13));
        Assert.Equal("<s>", tokenizer.TokenText(1));
    }

    [Fact]
    public void GgufTokenizer_is_independent_of_later_changes_to_the_lists()
    {
        var tokens = SyntheticVocabulary.Llama(300).Tokens.ToList();
        var data = SyntheticVocabulary.Llama(300) with { Tokens = tokens };
        var tokenizer = GgufTokenizer.Create(data);
        var before = tokenizer.Encode("the sea", addBos: false);
        tokens[^1] = "changed";
        Assert.Equal(before, tokenizer.Encode("the sea", addBos: false));
        Assert.NotEqual("changed", tokenizer.TokenText(299));
    }

    [Fact]
    public void Encoding_from_a_GgufFile_matches_encoding_from_the_data()
    {
        var data = SyntheticVocabulary.Gpt2(600);
        using var file = TokenizerTestData.ToGguf(data);
        const string text = "The keeper's log, 27 years.\n";
        Assert.Equal(GgufTokenizer.Create(data).Encode(text, true), GgufTokenizer.FromGguf(file).Encode(text, true));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Concurrent_encoding_gives_the_sequential_results(string model)
    {
        var tokenizer = GgufTokenizer.Create(model == "gpt2" ? SyntheticVocabulary.Gpt2(2000) : SyntheticVocabulary.Llama(2000));
        var random = new Random(21);
        var texts = Enumerable.Range(0, 64).Select(_ => TokenizerTestData.RandomText(random, 60)).ToArray();
        var expected = texts.Select(t => tokenizer.Encode(t, addBos: true)).ToArray();
        var actual = new IReadOnlyList<int>[texts.Length];
        Parallel.For(0, texts.Length * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => actual[i % texts.Length] = tokenizer.Encode(texts[i % texts.Length], addBos: true));
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(expected[i], actual[i]);
    }
}
