using GqaGen.Gguf;
using GqaGen.Llama.Chat;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Chat;

/// <summary><see cref="ChatTemplate.ForModel"/>: the model's own template, an override text or name, and the errors
/// when there is nothing to detect.</summary>
public class ChatTemplateForModelTests
{
    [Fact]
    public void A_model_without_a_template_has_null_text_and_ForModel_asks_for_one()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using LlamaModel model = LlamaModel.Load(file);

        Assert.Null(model.ChatTemplateText);
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.ForModel(model));
        Assert.Null(e.TemplateText);
        Assert.Contains(ChatTemplate.MetadataKey, e.Message, StringComparison.Ordinal);
        Assert.Contains(model.Name!, e.Message, StringComparison.Ordinal);
        Assert.Contains("chatml", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("llama3", "llama3")]
    [InlineData("{% for m in messages %}<start_of_turn>{{ m.content }}{% endfor %}", "gemma")]
    [InlineData("mistral-v7", "mistral-v7")]
    public void An_override_name_or_text_replaces_the_models_template(string templateOverride, string expected)
    {
        using GgufFile withTemplate = TestModels.Open(TestModels.Gqa with { ChatTemplate = SyntheticChatTemplates.ChatML });
        using LlamaModel chatml = LlamaModel.Load(withTemplate);
        using GgufFile without = TestModels.Open(TestModels.Gqa);
        using LlamaModel plain = LlamaModel.Load(without);

        Assert.Equal(expected, ChatTemplate.ForModel(chatml, templateOverride).Name);
        Assert.Equal(expected, ChatTemplate.ForModel(plain, templateOverride).Name);
    }

    [Fact]
    public void An_empty_override_means_the_models_own_template()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa with { ChatTemplate = SyntheticChatTemplates.ChatML });
        using LlamaModel model = LlamaModel.Load(file);

        Assert.Equal("chatml", ChatTemplate.ForModel(model, "").Name);
        Assert.Equal("chatml", ChatTemplate.ForModel(model, null).Name);
    }

    [Fact]
    public void An_unrecognised_override_or_model_template_is_named_in_the_exception()
    {
        const string unknown = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}";
        using GgufFile file = TestModels.Open(TestModels.Gqa with { ChatTemplate = unknown });
        using LlamaModel model = LlamaModel.Load(file);
        Assert.Equal(unknown, model.ChatTemplateText);

        var own = Assert.Throws<ChatTemplateException>(() => ChatTemplate.ForModel(model));
        Assert.Equal(unknown, own.TemplateText);
        Assert.Contains(ChatTemplate.MetadataKey, own.Message, StringComparison.Ordinal);
        Assert.All(ChatTemplate.Names, name => Assert.Contains(name, own.Message, StringComparison.Ordinal));

        var given = Assert.Throws<ChatTemplateException>(() => ChatTemplate.ForModel(model, "not-a-template"));
        Assert.Equal("not-a-template", given.TemplateText);
        Assert.Contains("given in place of the model's", given.Message, StringComparison.Ordinal);

        Assert.Equal("vicuna", ChatTemplate.ForModel(model, "vicuna").Name);
        Assert.Throws<ArgumentNullException>(() => ChatTemplate.ForModel(null!));
    }
}
