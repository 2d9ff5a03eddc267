namespace GqaGen.Gguf;

/// <summary>Where a <see cref="GgufFile"/>'s tensor bytes live.</summary>
public enum GgufTensorMemory
{
    /// <summary>The file is memory-mapped read-only: nothing is read up front, pages come from the OS page cache as they
    /// are touched, and they are shared with every other process mapping the file. Opening is instant.</summary>
    Mapped,

    /// <summary>The file is read once into private memory owned by the <see cref="GgufFile"/> (on Linux anonymous
    /// memory aligned to 2 MiB with transparent huge pages requested by <c>madvise(MADV_HUGEPAGE)</c>, then made
    /// read-only). Opening costs a full read of the file and its size in memory; streaming the weights afterwards
    /// misses the TLB far less than 4 KiB file pages do.</summary>
    Loaded,

    /// <summary>Bytes the caller handed to <see cref="GgufFile.Parse(ReadOnlyMemory{byte})"/>.</summary>
    CallerMemory,
}
