using GqaGen.Llama.Tokenization;
using static GqaGen.Llama.Tests.Tokenization.TokenizerTestData;

namespace GqaGen.Llama.Tests.Tokenization;

public class ByteLevelBpeTokenizerTests
{
    [Fact]
    public void Lowest_rank_merge_applies_first()
    {
        string[] tokens = ["ab", "bc", "abc"]; // ids 256, 257, 258
        // "b c" first, then "a bc": the whole word.
        Assert.Equal([258], GgufTokenizer.Create(Bpe("gpt2", tokens, ["b c", "a bc"])).Encode("abc", addBos: false));
        // "a b" first; "ab c" is no merge, so "c" stays.
        Assert.Equal([256, 'c'], GgufTokenizer.Create(Bpe("gpt2", tokens, ["a b", "b c", "a bc"])).Encode("abc", addBos: false));
        // "b c" first; "a b" no longer applies, and without "a bc" nothing else does.
        Assert.Equal(['a', 257], GgufTokenizer.Create(Bpe("gpt2", tokens, ["b c", "a b"])).Encode("abc", addBos: false));
    }

    [Fact]
    public void Leftmost_of_repeated_pairs_merges_first_as_equal_ranks_cannot_happen()
    {
        // "aaa": the pair "a a" occurs twice; the leftmost merges, leaving "aa a".
        var data = Bpe("gpt2", ["aa"], ["a a"]);
        Assert.Equal([256, 'a'], GgufTokenizer.Create(data).Encode("aaa", addBos: false));
    }

    [Fact]
    public void Llama3_pre_tokenizer_emits_a_word_that_is_a_token_without_merging()
    {
        // The merges alone make "ab"+"c"; with llama-bpe (ignore_merges) the word "abc" is a token and wins.
        string[] tokens = ["ab", "abc"];
        string[] merges = ["a b"];
        Assert.Equal([256, 'c'], GgufTokenizer.Create(Bpe("gpt2", tokens, merges)).Encode("abc", addBos: false));
        Assert.Equal([257], GgufTokenizer.Create(Bpe("llama-bpe", tokens, merges)).Encode("abc", addBos: false));
    }

    [Fact]
    public void Spaces_and_bytes_are_spelled_in_Gpt2_characters()
    {
        // " a" is the word "Ġa"; 'é' is bytes C3 A9, spelled "Ã©".
        var data = Bpe("gpt2", ["Ġa", "Ã©"], ["Ġ a", "Ã ©"]);
        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal([256, 257], tokenizer.Encode(" aé", addBos: false));
        Assert.Equal(" aé", tokenizer.Decode([256, 257]));
        Assert.Equal('Ġ', ByteCharacter((byte)' '));
    }

    [Fact]
    public void Bos_is_added_only_when_asked_and_the_model_wants_it()
    {
        var data = SyntheticVocabulary.Gpt2(300);
        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal(data.BosId, tokenizer.Encode("hi", addBos: true)[0]);
        Assert.DoesNotContain(data.BosId, tokenizer.Encode("hi", addBos: false));
        Assert.DoesNotContain(data.BosId, GgufTokenizer.Create(data with { AddBos = false }).Encode("hi", addBos: true));
    }

    [Fact]
    public void Control_tokens_are_parsed_only_when_asked_and_decode_to_nothing()
    {
        var data = SyntheticVocabulary.Gpt2(400);
        var tokenizer = GgufTokenizer.Create(data);
        const string text = "<|begin_of_text|>Hi";

        Assert.DoesNotContain(data.BosId, tokenizer.Encode(text, addBos: false));
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addBos: false)));

        var parsed = tokenizer.Encode(text, addBos: false, parseSpecial: true);
        Assert.Equal(data.BosId, parsed[0]);
        Assert.Equal("Hi", tokenizer.Decode(parsed));
    }

    [Theory]
    [InlineData(512, "llama-bpe", 11)]
    [InlineData(3000, "llama-bpe", 12)]
    [InlineData(700, "gpt2", 13)]
    public void ByteLevelBpeTokenizer_agrees_with_llama_cpp_algorithm_on_random_text(int vocabularySize, string preTokenizer, int seed)
    {
        // Microsoft.ML.Tokenizers does the merging; the oracle is llama.cpp's loop transliterated.
        var data = SyntheticVocabulary.Gpt2(vocabularySize) with { PreTokenizer = preTokenizer };
        var tokenizer = GgufTokenizer.Create(data);
        var reference = new LlamaCppBpeReference(data);
        var random = new Random(seed);
        int multiTokenMerges = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            string text = TokenizerTestData.RandomText(random, random.Next(1, 40));
            var expected = reference.Tokenize(text);
            Assert.Equal(expected, tokenizer.Encode(text, addBos: false));
            multiTokenMerges += expected.Count(id => id >= 256 && id < vocabularySize - 2);
        }
        Assert.True(multiTokenMerges > 500, $"only {multiTokenMerges} merged tokens were exercised");
    }

    [Fact]
    public void Kind_names_the_model_the_pre_tokenizer_and_the_implementation()
    {
        string kind = GgufTokenizer.Create(SyntheticVocabulary.Gpt2(300)).Kind;
        Assert.StartsWith("gpt2 (byte-level BPE", kind);
        Assert.Contains("llama-bpe", kind);
        Assert.Contains("Microsoft.ML.Tokenizers", kind);
    }
}
