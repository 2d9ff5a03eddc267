using GqaGen.Llama;
using GqaGen.Synthetic;

namespace GqaGen.AI.Tests;

/// <summary>A small random-weight model with a ChatML template and its control tokens, written once to a temporary
/// GGUF file for the whole test class (the built-in sample model's shape: 8 heads sharing 2 K/V heads, 4 layers).</summary>
public sealed class ChatModelFixture : IDisposable
{
    /// <summary>The model's spec.</summary>
    public static SyntheticLlamaSpec Spec { get; } = SyntheticLlamaSpec.BuiltIn with { ChatTemplate = SyntheticChatTemplates.ChatML };

    public ChatModelFixture()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gqagen-ai-tests-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(Path, SyntheticLlama.Create(Spec));
        Model = LlamaModel.Load(Path);
    }

    /// <summary>Where the GGUF file is.</summary>
    public string Path { get; }

    /// <summary>The model, loaded once (clients over it do not own it).</summary>
    public LlamaModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        File.Delete(Path);
    }
}
