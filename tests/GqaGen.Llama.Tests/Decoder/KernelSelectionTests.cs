using GqaGen.Llama.Tests.Layouts;
using GqaGen.Llama.Tests.Support;
using GqaGen.Llama;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Which attention kernel a model runs: the generated one for a layout this assembly declares, the generic
/// one (with a warning naming the attribute to add) otherwise, and the two agreeing.</summary>
public sealed class KernelSelectionTests
{
    [Theory]
    [InlineData("Gqa", typeof(GqaTestLayout))]
    [InlineData("Mha", typeof(MhaTestLayout))]
    [InlineData("Mqa", typeof(MqaTestLayout))]
    public void Declared_layout_runs_its_generated_kernel(string model, Type layout)
    {
        using var file = TestModels.Open(TestModels.Named(model));
        using var llama = LlamaModel.Load(file);
        Assert.True(llama.Attention.IsGenerated);
        Assert.Equal(layout.FullName, llama.Attention.Name);
        Assert.Null(llama.KernelWarning);
    }

    [Fact]
    public void Undeclared_layout_runs_generic_and_the_warning_gives_the_exact_attribute()
    {
        using var file = TestModels.Open(TestModels.Unannotated);
        using var llama = LlamaModel.Load(file);
        Assert.False(llama.Attention.IsGenerated);
        Assert.Contains("[GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 16)]", llama.KernelWarning);
    }

    [Fact]
    public void Requiring_a_generated_kernel_for_an_undeclared_layout_throws()
    {
        using var file = TestModels.Open(TestModels.Unannotated);
        var e = Assert.Throws<InvalidOperationException>(() => LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Generated }));
        Assert.Contains("[GqaLayout(Heads = 6, KvGroups = 2, HeadDim = 16)]", e.Message);
    }

    [Fact]
    public void Forcing_generic_on_a_declared_layout_runs_generic_without_warning()
    {
        using var file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Generic });
        Assert.False(llama.Attention.IsGenerated);
        Assert.Null(llama.KernelWarning);
    }

    [Theory]
    [InlineData("Gqa")]
    [InlineData("Mha")]
    [InlineData("Mqa")]
    public void Generated_and_generic_kernels_agree(string model)
    {
        var spec = TestModels.Named(model);
        using var file = TestModels.Open(spec);
        // An fp32 cache: with a rounded one, a 3e-7 difference between the kernels in layer 0 can tip one stored f16 value
        // to its neighbour, and the next layer sees a 1e-3 difference in that element (measured: 2e-5 in the logits on the
        // AVX2 path for the Mha model). KvStorageTests compares the kernels on the same rounded cache instead.
        using var generated = LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Generated, KvElementType = KvElementType.Float32 });
        using var generic = LlamaModel.Load(file, new LlamaModelOptions { Kernel = GqaKernelChoice.Generic, KvElementType = KvElementType.Float32 });

        // Logits, position by position.
        int[] tokens = TestModels.RandomTokens(TestModels.SequenceLength, spec.VocabularySize, seed: 31);
        using var a = generated.CreateSession(tokens.Length);
        using var b = generic.CreateSession(tokens.Length);
        foreach (int token in tokens)
        {
            double error = LogitsAssert.RelativeError(a.Decode(token), b.Decode(token));
            Assert.True(error <= 1e-5, $"position {a.Position - 1}: generated and generic logits differ by {error:E2}");
        }

        // And the greedy text.
        var options = new GenerationOptions { MaxTokens = 20, StopAtEndOfSequence = false };
        var fromGenerated = new TextGenerator(generated).Generate("Hello, world", options);
        var fromGeneric = new TextGenerator(generic).Generate("Hello, world", options);
        Assert.Equal(fromGenerated.GeneratedTokens, fromGeneric.GeneratedTokens);
    }

    [Fact]
    public void LlamaModelOptions_rejects_an_unknown_kernel_choice_naming_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LlamaModelOptions { Kernel = (GqaKernelChoice)7 });
        Assert.Equal("Kernel", e.ParamName);
        Assert.Equal((GqaKernelChoice)7, e.ActualValue);
        Assert.Contains("expected one of Auto, Generated, Generic", e.Message, StringComparison.Ordinal);
    }
}
