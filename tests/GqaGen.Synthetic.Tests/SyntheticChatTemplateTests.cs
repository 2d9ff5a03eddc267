using GqaGen.Gguf;
using GqaGen.Llama.Tokenization;
using GqaGen.Synthetic.Tests.Support;

namespace GqaGen.Synthetic.Tests;

/// <summary>Synthetic models with a chat template (<see cref="SyntheticLlamaSpec.ChatTemplate"/>): the template in
/// the file, its control tokens in the vocabulary, and everything else as without it.</summary>
public sealed class SyntheticChatTemplateTests
{
    public static TheoryData<string> Tokenizers() => [SyntheticLlamaSpec.Gpt2Tokenizer, SyntheticLlamaSpec.LlamaTokenizer];

    private static SyntheticLlamaSpec Spec(string tokenizer) => tokenizer == SyntheticLlamaSpec.Gpt2Tokenizer ? Specs.Gqa : Specs.LlamaTied;

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void The_template_is_written_and_its_markers_are_control_tokens(string tokenizerModel)
    {
        var spec = Spec(tokenizerModel) with { ChatTemplate = SyntheticChatTemplates.ChatML };
        using var file = Specs.Open(spec);

        Assert.Equal(SyntheticChatTemplates.ChatML, file.GetString("tokenizer.chat_template"));
        var data = TokenizerData.FromGguf(file);
        Assert.Equal(spec.VocabularySize, data.Tokens.Count);
        int imStart = IndexOf(data.Tokens, "<|im_start|>");
        int imEnd = IndexOf(data.Tokens, "<|im_end|>");
        Assert.Equal(imStart + 1, imEnd);
        Assert.Equal(GgufTokenType.Control, data.GetTokenType(imStart));
        Assert.Equal(GgufTokenType.Control, data.GetTokenType(imEnd));
        // gpt2: just before BOS and EOS, which stay the last two ids; llama: the last ids.
        int expectedEnd = tokenizerModel == SyntheticLlamaSpec.Gpt2Tokenizer ? spec.VocabularySize - 3 : spec.VocabularySize - 1;
        Assert.Equal(expectedEnd, imEnd);
        Assert.Equal(tokenizerModel == SyntheticLlamaSpec.Gpt2Tokenizer ? spec.VocabularySize - 2 : 1, data.BosId);

        var tokenizer = GgufTokenizer.Create(data);
        Assert.Equal([imStart], tokenizer.Encode("<|im_start|>", addBos: false, parseSpecial: true));
        Assert.True(tokenizer.IsEndOfGeneration(imEnd));
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Without_a_template_there_is_no_key_and_with_one_only_the_last_tokens_change(string tokenizerModel)
    {
        using (var plain = Specs.Open(Spec(tokenizerModel)))
            Assert.False(plain.ContainsKey("tokenizer.chat_template"));

        int seed = Random.Shared.Next();
        int size = new Random(seed).Next(300, 3000);
        string[] controls = ["<|im_start|>", "<|im_end|>", "<|eot_id|>"];
        bool gpt2 = tokenizerModel == SyntheticLlamaSpec.Gpt2Tokenizer;
        TokenizerData without = gpt2 ? SyntheticVocabulary.Gpt2(size) : SyntheticVocabulary.Llama(size);
        TokenizerData with = gpt2 ? SyntheticVocabulary.Gpt2(size, controls) : SyntheticVocabulary.Llama(size, controls);

        int firstControl = IndexOf(with.Tokens, controls[0]);
        Assert.True(firstControl == size - controls.Length - (gpt2 ? 2 : 0), $"size {size} (seed {seed})");
        Assert.Equal(without.Tokens.Take(firstControl), with.Tokens.Take(firstControl));
        Assert.Equal(controls, with.Tokens.Skip(firstControl).Take(controls.Length));
        Assert.Equal(size, with.Tokens.Count);
        if (gpt2)
            Assert.Equal(without.Tokens.Skip(size - 2), with.Tokens.Skip(size - 2)); // BOS and EOS
        Assert.Equal(without.BosId, with.BosId);
        Assert.Equal(without.EosId, with.EosId);
        // No control tokens is exactly the vocabulary without them.
        TokenizerData none = gpt2 ? SyntheticVocabulary.Gpt2(size, []) : SyntheticVocabulary.Llama(size, []);
        Assert.Equal(without.Tokens, none.Tokens);
        Assert.Equal(without.TokenTypes, none.TokenTypes);
    }

    [Fact]
    public void Control_tokens_are_the_templates_literal_markers_in_order()
    {
        const string llama3 = "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}";
        const string phi3 = "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}";

        Assert.Equal(["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], SyntheticChatTemplates.ControlTokens(llama3));
        Assert.Equal(["<|end|>"], SyntheticChatTemplates.ControlTokens(phi3));
        Assert.Equal(["<|im_start|>", "<|im_end|>"], SyntheticChatTemplates.ControlTokens(SyntheticChatTemplates.ChatML));
        Assert.Empty(SyntheticChatTemplates.ControlTokens(null));
        Assert.Empty((Specs.Gqa with { ChatTemplate = "[INST] {{ x }} [/INST]" }).ChatControlTokens);
    }

    [Fact]
    public void A_marker_that_is_already_the_gpt2_BOS_is_not_added_twice()
    {
        var spec = Specs.Gqa with { ChatTemplate = "<|begin_of_text|>" + SyntheticChatTemplates.ChatML };
        using var file = Specs.Open(spec);
        var data = TokenizerData.FromGguf(file);

        Assert.Single(data.Tokens, t => t == "<|begin_of_text|>");
        Assert.Equal(data.BosId, IndexOf(data.Tokens, "<|begin_of_text|>"));
        Assert.Equal(spec.VocabularySize - 3, IndexOf(data.Tokens, "<|im_end|>"));
    }

    [Fact]
    public void An_empty_template_or_a_vocabulary_without_room_for_its_tokens_is_refused()
    {
        var empty = Assert.Throws<ArgumentException>(() => (Specs.Gqa with { ChatTemplate = "" }).Validate());
        Assert.Equal("ChatTemplate", empty.ParamName);

        var small = Specs.Gqa with { VocabularySize = 259, ChatTemplate = SyntheticChatTemplates.ChatML };
        var e = Assert.Throws<ArgumentOutOfRangeException>(small.Validate);
        Assert.Equal("VocabularySize", e.ParamName);
        Assert.Contains("260", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 control tokens", e.Message, StringComparison.Ordinal);
        (small with { VocabularySize = 260 }).Validate();
        Assert.Throws<ArgumentException>(() => SyntheticVocabulary.Llama(400, ["<s>"]));
    }

    private static int IndexOf(IReadOnlyList<string> tokens, string text)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == text)
                return i;
        }
        throw new Xunit.Sdk.XunitException($"{text} is not in the vocabulary.");
    }
}
