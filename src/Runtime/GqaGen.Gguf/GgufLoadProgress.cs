namespace GqaGen.Gguf;

/// <summary>How far <see cref="GgufFile.Open(string, GgufOpenOptions?, CancellationToken)"/> has read a file into memory
/// (<see cref="GgufTensorMemory.Loaded"/>).</summary>
/// <param name="BytesRead">Bytes read so far.</param>
/// <param name="TotalBytes">The file's length.</param>
public readonly record struct GgufLoadProgress(long BytesRead, long TotalBytes)
{
    /// <summary>The share read, 0 to 1.</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesRead / TotalBytes;
}
