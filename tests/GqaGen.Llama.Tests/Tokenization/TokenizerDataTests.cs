using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;
using static GqaGen.Llama.Tests.Tokenization.TokenizerTestData;

namespace GqaGen.Llama.Tests.Tokenization;

public class TokenizerDataTests
{
    [Theory]
    [InlineData("gpt2", 258)]
    [InlineData("gpt2", 512)]
    [InlineData("gpt2", 5000)]
    [InlineData("llama", 259)]
    [InlineData("llama", 1000)]
    [InlineData("llama", 32000)]
    public void GGUF_round_trip_preserves_the_data(string model, int size)
    {
        var data = model == "gpt2" ? SyntheticVocabulary.Gpt2(size) : SyntheticVocabulary.Llama(size);
        using var file = ToGguf(data);
        var read = TokenizerData.FromGguf(file);

        Assert.Equal(data, read);
        Assert.Equal(size, read.VocabularySize);
        Assert.Equal(size, GgufTokenizer.FromGguf(file).VocabularySize);
    }

    [Fact]
    public void GGUF_round_trip_preserves_optional_fields()
    {
        var data = Spm(("▁", -1.5f), ("", 0)) with { PaddingId = 3, AddBos = false, AddEos = true, AddSpacePrefix = false };
        using var file = ToGguf(data);
        var read = TokenizerData.FromGguf(file);

        Assert.Equal(data, read);
        Assert.Equal(3, read.PaddingId);
        Assert.True(read.AddEos);
        Assert.False(read.AddSpacePrefix);
        Assert.Equal("", read.Tokens[4]); // stored as written; the tokenizer calls it [EMPTY_4], as llama.cpp does
        Assert.Equal("[EMPTY_4]", GgufTokenizer.Create(read).TokenText(4));
    }

    [Fact]
    public void Equality_compares_lists_by_value()
    {
        var a = SyntheticVocabulary.Llama(300);
        var b = SyntheticVocabulary.Llama(300);
        Assert.NotSame(a.Tokens, b.Tokens);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());

        var scores = a.Scores!.ToArray();
        scores[^1] += 1;
        Assert.NotEqual(a, a with { Scores = scores });
        Assert.NotEqual(a, a with { AddEos = true });
    }

    [Fact]
    public void Absent_optional_keys_take_llama_cpp_defaults()
    {
        using var file = GgufWith(w => w
            .AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "▁a"]));
        var data = TokenizerData.FromGguf(file);

        Assert.Equal((1, 2, (int?)0, (int?)null, true), (data.BosId, data.EosId, data.UnknownId, data.PaddingId, data.AddBos));
        Assert.Null(data.Scores);
        Assert.Null(data.TokenTypes);
        Assert.Equal(GgufTokenType.Normal, data.GetTokenType(1));
    }

    [Fact]
    public void Gpt2_add_bos_defaults_on_only_for_the_llama3_pre_tokenizer()
    {
        var data = SyntheticVocabulary.Gpt2(300);
        foreach (var (pre, expected) in new[] { ("llama-bpe", true), ("gpt2", false) })
        {
            using var file = GgufWith(w => w
                .AddString("tokenizer.ggml.model", "gpt2")
                .AddString("tokenizer.ggml.pre", pre)
                .AddStringArray("tokenizer.ggml.tokens", data.Tokens)
                .AddStringArray("tokenizer.ggml.merges", data.Merges!)
                .AddUInt32("tokenizer.ggml.bos_token_id", (uint)data.BosId)
                .AddInt32("tokenizer.ggml.eos_token_id", data.EosId)); // any integer type is accepted
            Assert.Equal(expected, TokenizerData.FromGguf(file).AddBos);
        }
    }

    [Fact]
    public void Synthetic_vocabularies_are_deterministic_and_shaped_as_documented()
    {
        var gpt2 = SyntheticVocabulary.Gpt2(512);
        Assert.Equal(gpt2, SyntheticVocabulary.Gpt2(512));
        Assert.Equal(512, gpt2.Tokens.Count);
        Assert.Equal("Ā", gpt2.Tokens[0]); // byte 0 in GPT-2's mapping
        Assert.Equal("Ġ", gpt2.Tokens[' ']);
        Assert.Equal("A", gpt2.Tokens['A']);
        Assert.Equal(("<|begin_of_text|>", "<|end_of_text|>"), (gpt2.Tokens[gpt2.BosId], gpt2.Tokens[gpt2.EosId]));
        Assert.Equal((510, 511), (gpt2.BosId, gpt2.EosId));
        Assert.Equal((int)GgufTokenType.Control, gpt2.TokenTypes![511]);
        Assert.Equal("llama-bpe", gpt2.PreTokenizer);
        // Every token between the bytes and the special tokens is the result of a merge.
        var joined = gpt2.Merges!.Select(m => m.Replace(" ", "")).ToHashSet();
        Assert.All(gpt2.Tokens.Skip(256).Take(254), t => Assert.Contains(t, joined));

        var llama = SyntheticVocabulary.Llama(1000);
        Assert.Equal(llama, SyntheticVocabulary.Llama(1000));
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], llama.Tokens.Take(4));
        Assert.Equal("<0xFF>", llama.Tokens[258]);
        Assert.Contains("▁the", llama.Tokens);
        Assert.Contains("▁", llama.Tokens);
        Assert.Contains("e", llama.Tokens);
        // Earlier-learned pieces score higher: "▁the" (very frequent) outscores "▁lighthouse".
        Assert.True(llama.Scores![IndexOf(llama, "▁the")] > llama.Scores[IndexOf(llama, "▁lighthouse")]);
    }

    [Theory]
    [InlineData("gpt2", 257)]
    [InlineData("llama", 258)]
    public void Synthetic_vocabularies_reject_sizes_below_their_fixed_tokens(string model, int size)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            model == "gpt2" ? SyntheticVocabulary.Gpt2(size) : SyntheticVocabulary.Llama(size));
        Assert.Contains($"{size + 1}", error.Message);
    }

    [Fact]
    public void Missing_tokens_key_is_named()
    {
        using var file = GgufWith(w => w.AddString("tokenizer.ggml.model", "llama"));
        var error = Assert.Throws<GgufTokenizerException>(() => TokenizerData.FromGguf(file));
        Assert.Equal("tokenizer.ggml.tokens", error.Key);
        Assert.Contains("tokenizer.ggml.tokens", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void Missing_model_key_is_named()
    {
        using var file = GgufWith(w => w.AddString("general.architecture", "llama"));
        var error = Assert.Throws<GgufTokenizerException>(() => GgufTokenizer.FromGguf(file));
        Assert.Equal("tokenizer.ggml.model", error.Key);
    }

    [Fact]
    public void Scores_of_the_wrong_length_are_rejected()
    {
        var data = SyntheticVocabulary.Llama(300);
        using var file = GgufWith(w => w
            .AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", data.Tokens)
            .AddFloat32Array("tokenizer.ggml.scores", data.Scores!.Take(299).ToArray()));
        var error = Assert.Throws<GgufTokenizerException>(() => TokenizerData.FromGguf(file));
        Assert.Equal("tokenizer.ggml.scores", error.Key);
        Assert.Contains("299 scores for 300 tokens", error.Message);

        Assert.Throws<GgufTokenizerException>(() => GgufTokenizer.Create(data with { Scores = [1f, 2f] }));
    }

    [Fact]
    public void Unknown_model_is_not_supported()
    {
        using var file = GgufWith(w => w
            .AddString("tokenizer.ggml.model", "bert")
            .AddStringArray("tokenizer.ggml.tokens", ["[PAD]", "[UNK]"]));
        var error = Assert.Throws<NotSupportedException>(() => GgufTokenizer.FromGguf(file));
        Assert.Contains("\"bert\"", error.Message);
        Assert.Contains("tokenizer.ggml.model", error.Message);

        var data = SyntheticVocabulary.Llama(300) with { Model = "t5" };
        Assert.Contains("\"t5\"", Assert.Throws<NotSupportedException>(() => GgufTokenizer.Create(data)).Message);
    }

    [Fact]
    public void Unknown_pre_tokenizer_is_not_supported()
    {
        var data = SyntheticVocabulary.Gpt2(300) with { PreTokenizer = "deepseek-coder" };
        Assert.Contains("\"deepseek-coder\"", Assert.Throws<NotSupportedException>(() => GgufTokenizer.Create(data)).Message);
    }

    [Fact]
    public void Inconsistent_data_is_rejected_naming_the_key()
    {
        var llama = SyntheticVocabulary.Llama(300);
        var gpt2 = SyntheticVocabulary.Gpt2(300);
        AssertRejected(llama with { BosId = 300 }, "tokenizer.ggml.bos_token_id", "300");
        AssertRejected(llama with { EosId = -1 }, "tokenizer.ggml.eos_token_id", "-1");
        AssertRejected(llama with { UnknownId = 1000 }, "tokenizer.ggml.unknown_token_id", "1000");
        AssertRejected(llama with { PaddingId = 301 }, "tokenizer.ggml.padding_token_id", "301");
        AssertRejected(llama with { TokenTypes = [1, 2] }, "tokenizer.ggml.token_type", "2 token types for 300 tokens");
        AssertRejected(llama with { TokenTypes = [.. llama.TokenTypes!.Select((t, i) => i == 7 ? 9 : t)] }, "tokenizer.ggml.token_type", "token 7 has type 9");
        AssertRejected(llama with { Tokens = [.. llama.Tokens.Select((t, i) => i == 299 ? llama.Tokens[5] : t)] }, "tokenizer.ggml.tokens", "tokens 5 and 299");
        AssertRejected(llama with { Tokens = [] }, "tokenizer.ggml.tokens", "empty");
        AssertRejected(gpt2 with { Merges = null }, "tokenizer.ggml.merges", "merges");
        AssertRejected(gpt2 with { Merges = [gpt2.Merges![0], "ab"] }, "tokenizer.ggml.merges", "merge 1 is \"ab\"");
        AssertRejected(gpt2 with { Merges = ["a zz"] }, "tokenizer.ggml.merges", "needs the token \"zz\"");
        AssertRejected(gpt2 with { Merges = ["a b", "ab"] }, "tokenizer.ggml.merges", "needs the token \"ab\"");
    }

    [Fact]
    public void Gpt2_without_bos_or_eos_is_rejected_instead_of_guessed()
    {
        var data = SyntheticVocabulary.Gpt2(300);
        using var file = GgufWith(w => w
            .AddString("tokenizer.ggml.model", "gpt2")
            .AddStringArray("tokenizer.ggml.tokens", data.Tokens)
            .AddStringArray("tokenizer.ggml.merges", data.Merges!)
            .AddUInt32("tokenizer.ggml.eos_token_id", 299));
        Assert.Equal("tokenizer.ggml.bos_token_id", Assert.Throws<GgufTokenizerException>(() => TokenizerData.FromGguf(file)).Key);
    }

    [Fact]
    public void Wrong_value_types_are_reported_by_the_reader()
    {
        using var file = GgufWith(w => w
            .AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>"])
            .AddInt32Array("tokenizer.ggml.scores", [0, 0, 0]));
        var error = Assert.Throws<GgufFormatException>(() => TokenizerData.FromGguf(file));
        Assert.Contains("tokenizer.ggml.scores", error.Message);
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentNullException>(() => TokenizerData.FromGguf(null!));
        Assert.Throws<ArgumentNullException>(() => SyntheticVocabulary.Gpt2(300).WriteTo(null!));
        Assert.Throws<ArgumentNullException>(() => GgufTokenizer.Create(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticVocabulary.Gpt2(300).GetTokenType(300));
    }

    private static void AssertRejected(TokenizerData data, string key, string detail)
    {
        var error = Assert.Throws<GgufTokenizerException>(() => GgufTokenizer.Create(data));
        Assert.Equal(key, error.Key);
        Assert.Contains(key, error.Message);
        Assert.Contains(detail, error.Message);
    }
}
