using GqaGen.Synthetic;

namespace GqaGen.AI.Tests;

/// <summary>A synthetic model written to a temporary file, deleted on dispose.</summary>
internal sealed class TempGguf : IDisposable
{
    public TempGguf(SyntheticLlamaSpec spec)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gqagen-ai-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(Path, SyntheticLlama.Create(spec));
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
