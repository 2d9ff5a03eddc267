namespace GqaGen.Gguf;

/// <summary>A GGUF file is malformed or truncated. The message names what was wrong; <see cref="Offset"/> says where.</summary>
/// <remarks>The reader throws only this exception for bad input: never an index, overflow, end-of-stream or
/// out-of-memory exception, whatever the bytes claim.</remarks>
public sealed class GgufFormatException : FormatException
{
    /// <summary>Creates the exception for a problem found at byte <paramref name="offset"/> of the file.</summary>
    /// <param name="message">What was wrong, without the offset (it is appended).</param>
    /// <param name="offset">The byte offset in the file where the offending item starts.</param>
    public GgufFormatException(string message, long offset)
        : base($"Malformed GGUF: {message} (at byte offset {offset}).")
    {
        Offset = offset;
    }

    /// <summary>The byte offset in the file where the offending item starts.</summary>
    public long Offset { get; }
}
