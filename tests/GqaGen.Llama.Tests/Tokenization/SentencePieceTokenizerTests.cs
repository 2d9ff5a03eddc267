using GqaGen.Llama.Tokenization;
using static GqaGen.Llama.Tests.Tokenization.TokenizerTestData;

namespace GqaGen.Llama.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    [Fact]
    public void Highest_scoring_pair_merges_first()
    {
        // "abc" becomes "▁abc". "bc" scores best, so it merges first; then "▁a" (-1) beats "abc" (-3).
        var data = Spm(("▁", -10), ("a", -10), ("b", -10), ("c", -10), ("▁a", -1), ("ab", -2), ("bc", -0.5f), ("abc", -3));
        var tokenizer = GgufTokenizer.Create(data);

        Assert.Equal(Ids(data, "▁a", "bc"), tokenizer.Encode("abc", addBos: false));
        Assert.Equal([7, 9], tokenizer.Encode("abc", addBos: false)); // the same ids, written out
    }

    [Fact]
    public void Changing_the_scores_changes_the_merge_order()
    {
        // Now "abc" (-0.7) beats "▁a" (-5) after "bc" merges, and "▁abc" is no piece.
        var data = Spm(("▁", -10), ("a", -10), ("b", -10), ("c", -10), ("▁a", -5), ("ab", -2), ("bc", -0.5f), ("abc", -0.7f));
        var tokenizer = GgufTokenizer.Create(data);

        Assert.Equal(Ids(data, "▁", "abc"), tokenizer.Encode("abc", addBos: false));
    }

    [Fact]
    public void Equal_scores_merge_the_leftmost_pair_first()
    {
        // "▁ab": "▁a" and "ab" tie; the leftmost ("▁a") merges, and "▁a"+"b" is no piece.
        var data = Spm(("▁", -10), ("a", -10), ("b", -10), ("▁a", -1), ("ab", -1));
        Assert.Equal(Ids(data, "▁a", "b"), GgufTokenizer.Create(data).Encode("ab", addBos: false));

        // Swapping which pair is leftmost: "ba" → "▁ba": "▁b" and "ba" tie, "▁b" wins.
        var swapped = Spm(("▁", -10), ("a", -10), ("b", -10), ("▁b", -1), ("ba", -1));
        Assert.Equal(Ids(swapped, "▁b", "a"), GgufTokenizer.Create(swapped).Encode("ba", addBos: false));
    }

    [Fact]
    public void Characters_outside_the_vocabulary_fall_back_to_byte_tokens()
    {
        var data = Spm(("▁", -10), ("a", -10), ("▁a", -1));
        var tokenizer = GgufTokenizer.Create(data);

        // 'é' is C3 A9 in UTF-8, '\n' is 0A.
        Assert.Equal(Ids(data, "▁a", "<0xC3>", "<0xA9>", "<0x0A>"), tokenizer.Encode("aé\n", addBos: false));
        Assert.Equal("aé\n", tokenizer.Decode(tokenizer.Encode("aé\n", addBos: false)));
    }

    [Fact]
    public void Spaces_become_escaped_spaces_and_the_text_gets_a_space_prefix()
    {
        var data = Spm(("▁", -10), ("a", -10), ("b", -10), ("▁a", -1), ("▁b", -1), ("▁▁", -2));
        var tokenizer = GgufTokenizer.Create(data);

        // "a  b" → "▁a▁▁b": "▁a" and "▁b" (score -1, leftmost first), leaving one "▁".
        Assert.Equal(Ids(data, "▁a", "▁", "▁b"), tokenizer.Encode("a  b", addBos: false));
        Assert.Equal("a  b", tokenizer.Decode(tokenizer.Encode("a  b", addBos: false)));
    }

    [Fact]
    public void Bos_is_added_only_when_asked_and_the_model_wants_it()
    {
        var data = Spm(("▁", -10), ("a", -10), ("▁a", -1));
        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal([1, .. Ids(data, "▁a")], tokenizer.Encode("a", addBos: true));
        Assert.Equal(Ids(data, "▁a"), tokenizer.Encode("a", addBos: false));
        Assert.Equal([1], tokenizer.Encode("", addBos: true));
        Assert.Empty(tokenizer.Encode("", addBos: false));

        var noBos = GgufTokenizer.Create(data with { AddBos = false });
        Assert.False(noBos.AddBos);
        Assert.Equal(Ids(data, "▁a"), noBos.Encode("a", addBos: true));
    }

    [Fact]
    public void Decode_removes_the_space_prefix_only_from_a_first_text_token_as_llama_cpp_does()
    {
        var data = Spm(("▁", -10), ("a", -10), ("▁a", -1));
        var tokenizer = GgufTokenizer.Create(data);

        Assert.Equal("a a", tokenizer.Decode(Ids(data, "▁a", "▁a")));
        // After BOS the space stays (llama_detokenize sets remove_space only for the first token).
        Assert.Equal(" a a", tokenizer.Decode([1, .. Ids(data, "▁a", "▁a")]));
        // Control and unknown tokens decode to nothing.
        Assert.Equal("a", tokenizer.Decode([.. Ids(data, "▁a"), 2, 0]));

        var noPrefix = GgufTokenizer.Create(data with { AddSpacePrefix = false });
        Assert.Equal(Ids(data, "a"), noPrefix.Encode("a", addBos: false));
        Assert.Equal(" a", noPrefix.Decode(Ids(data, "▁a")));
    }

    [Fact]
    public void Control_token_text_is_plain_text_unless_special_tokens_are_parsed()
    {
        var data = Spm(("▁", -10), ("a", -10), ("<", -10), ("s", -10), (">", -10), ("▁a", -1));
        var tokenizer = GgufTokenizer.Create(data);

        Assert.DoesNotContain(1, tokenizer.Encode("a<s>a", addBos: false));
        // Parsed, "<s>" is BOS, and the text after it gets the space prefix again (llama.cpp's is_prev_special).
        Assert.Equal([.. Ids(data, "▁a"), 1, .. Ids(data, "▁a")], tokenizer.Encode("a<s>a", addBos: false, parseSpecial: true));
    }

    [Fact]
    public void User_defined_tokens_are_always_split_out_and_decode_verbatim()
    {
        var data = Spm(("▁", -10), ("a", -10), ("▁a", -1), ("<tool>", 0));
        var types = data.TokenTypes!.ToArray();
        int tool = IndexOf(data, "<tool>");
        types[tool] = (int)GgufTokenType.UserDefined;
        var tokenizer = GgufTokenizer.Create(data with { TokenTypes = types });

        Assert.Equal([.. Ids(data, "▁a"), tool, .. Ids(data, "▁a")], tokenizer.Encode("a<tool>a", addBos: false));
        Assert.Equal("a<tool> a", tokenizer.Decode(tokenizer.Encode("a<tool>a", addBos: false)));
    }

    [Fact]
    public void Without_byte_tokens_unknown_characters_become_the_unknown_token()
    {
        var data = new TokenizerData("llama", ["<unk>", "<s>", "</s>", "▁", "a", "▁a"], [0, 0, 0, -10, -10, -1], [2, 3, 3, 1, 1, 1],
            null, 1, 2, 0, null, true, null);
        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal([5, 0, 0], tokenizer.Encode("aé", addBos: false)); // é is two bytes, each unknown
    }

    [Fact]
    public void Lone_surrogates_encode_as_the_replacement_character()
    {
        var tokenizer = GgufTokenizer.Create(SyntheticVocabulary.Llama(400));
        Assert.Equal(tokenizer.Encode("a\uFFFDb", addBos: false), tokenizer.Encode("a\uD800b", addBos: false));
    }

    [Fact]
    public void Kind_names_the_model_and_the_implementation()
    {
        string kind = GgufTokenizer.Create(SyntheticVocabulary.Llama(300)).Kind;
        Assert.StartsWith("llama (SentencePiece BPE", kind);
        Assert.Contains("llm_tokenizer_spm", kind);
    }
}
