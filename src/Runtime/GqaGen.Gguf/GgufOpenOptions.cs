namespace GqaGen.Gguf;

/// <summary>How <see cref="GgufFile.Open(string, GgufOpenOptions?, CancellationToken)"/> makes a file's tensors readable.</summary>
public sealed class GgufOpenOptions
{
    /// <summary>Map the file (<see cref="GgufTensorMemory.Mapped"/>, the default) or read it into memory
    /// (<see cref="GgufTensorMemory.Loaded"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to <see cref="GgufTensorMemory.CallerMemory"/> or an undefined
    /// value: only a file can be opened here.</exception>
    public GgufTensorMemory TensorMemory
    {
        get;
        init => field = value is GgufTensorMemory.Mapped or GgufTensorMemory.Loaded ? value
            : throw new ArgumentOutOfRangeException(nameof(TensorMemory), value, $"A file is opened {GgufTensorMemory.Mapped} or {GgufTensorMemory.Loaded}; {value} is not a way to open one.");
    } = GgufTensorMemory.Mapped;

    /// <summary>Receives the bytes read so far while a <see cref="GgufTensorMemory.Loaded"/> file is read (after each
    /// chunk of a few MiB, and once at the end); not called for a mapped file.</summary>
    public IProgress<GgufLoadProgress>? Progress { get; init; }
}
