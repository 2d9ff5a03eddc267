using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>A session checks its input before it runs anything, so a rejected call leaves it where it was.</summary>
public sealed class SessionValidationTests
{
    [Fact]
    public void Prefill_with_a_bad_token_in_a_later_chunk_runs_nothing()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using LlamaModel model = LlamaModel.Load(file);
        using LlamaSession session = model.CreateSession(64);
        int vocabulary = model.Config.VocabularySize;
        int[] tokens = TestModels.RandomTokens(40, vocabulary, seed: 3);
        tokens[35] = vocabulary; // one past the last id, in the second chunk

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill(tokens));
        Assert.Equal("tokens", e.ParamName);
        Assert.Equal(vocabulary, e.ActualValue);
        Assert.Contains($"Token {vocabulary} is outside the vocabulary of {vocabulary} (ids 0 to {vocabulary - 1})", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, session.Position);
    }
}
