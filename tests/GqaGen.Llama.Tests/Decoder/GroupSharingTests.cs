using GqaGen.Llama.Tests.Support;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// The decoder's query-head to K/V-head mapping, checked without the oracle: a grouped model must compute what the
/// multi-head model with each K/V head copied to its group's query heads computes.
/// </summary>
public sealed class GroupSharingTests
{
    [Theory]
    [InlineData("Gqa", GqaKernelChoice.Generated)]
    [InlineData("Gqa", GqaKernelChoice.Generic)]
    [InlineData("Mqa", GqaKernelChoice.Generated)]
    [InlineData("Mqa", GqaKernelChoice.Generic)]
    public void Grouped_model_equals_its_multi_head_expansion(string model, GqaKernelChoice kernel)
    {
        var spec = TestModels.Named(model);
        using var grouped = TestModels.Open(spec);
        using var expanded = GgufFile.Parse(MultiHeadExpansion.Of(grouped));
        using var groupedModel = LlamaModel.Load(grouped, new LlamaModelOptions { Kernel = kernel });
        // The expansion has H = G = 4: TestModels.Mha's layout, so it runs the same kind of kernel.
        using var expandedModel = LlamaModel.Load(expanded, new LlamaModelOptions { Kernel = kernel });
        Assert.Equal(spec.Heads, expandedModel.Config.KvGroups);

        int[] tokens = TestModels.RandomTokens(36, spec.VocabularySize, seed: 51);
        using var a = groupedModel.CreateSession(tokens.Length);
        using var b = expandedModel.CreateSession(tokens.Length);
        foreach (int token in tokens)
        {
            double error = LogitsAssert.RelativeError(a.Decode(token), b.Decode(token));
            Assert.True(error <= 1e-5, $"position {a.Position - 1}: grouped and expanded logits differ by {error:E2}");
        }
    }
}
