namespace GqaGen.Llama.Tests.Support;

/// <summary>A file deleted when disposed.</summary>
public sealed class TemporaryFile(string path) : IDisposable
{
    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still mapped on some platforms cannot be deleted yet; the temp folder is cleaned eventually.
        }
    }
}
