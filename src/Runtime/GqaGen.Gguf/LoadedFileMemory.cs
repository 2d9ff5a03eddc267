using System.Runtime.InteropServices;

namespace GqaGen.Gguf;

/// <summary>
/// Private memory holding a whole file, for <see cref="GgufTensorMemory.Loaded"/>. On Linux it is an anonymous mapping
/// aligned to 2 MiB with <c>madvise(MADV_HUGEPAGE)</c>, so that the kernel backs it with transparent huge pages when
/// its policy is <c>always</c> or <c>madvise</c> (the usual default), and it is made read-only once filled; elsewhere
/// an aligned native allocation.
/// </summary>
/// <remarks>Why huge pages: a decode step streams every weight once, gigabytes per token, and with 4 KiB pages that
/// is a TLB miss every 4 KiB; with 2 MiB pages a miss every 2 MiB. llama.cpp's <c>--no-mmap</c> (LLamaSharp's default)
/// reads weights into such memory; see docs/benchmarks.md for what it changed on the development machine.</remarks>
internal sealed unsafe partial class LoadedFileMemory : IDisposable
{
    private const nuint HugePage = 2 * 1024 * 1024;
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20, MadvHugePage = 14;

    private byte* _mapping;   // what mmap returned (Linux) or AlignedAlloc (elsewhere)
    private nuint _mappingLength;

    private LoadedFileMemory(byte* mapping, nuint mappingLength, byte* pointer, long length)
    {
        _mapping = mapping;
        _mappingLength = mappingLength;
        Pointer = pointer;
        Length = length;
    }

    /// <summary>The first byte (2 MiB aligned).</summary>
    public byte* Pointer { get; private set; }

    /// <summary>The bytes held.</summary>
    public long Length { get; }

    /// <summary>Reads all of <paramref name="file"/> into new memory, reporting progress after each chunk.</summary>
    /// <exception cref="OutOfMemoryException">The memory cannot be reserved.</exception>
    /// <exception cref="IOException">The file cannot be read, or ends early.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between chunks.</exception>
    public static LoadedFileMemory Read(FileStream file, IProgress<GgufLoadProgress>? progress, CancellationToken cancellationToken)
    {
        long length = file.Length;
        LoadedFileMemory memory = Allocate(length);
        try
        {
            const int Chunk = 16 * 1024 * 1024;
            long done = 0;
            while (done < length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int want = (int)Math.Min(Chunk, length - done);
                int read = RandomAccess.Read(file.SafeFileHandle, new Span<byte>(memory.Pointer + done, want), done);
                if (read <= 0)
                    throw new IOException($"The file '{file.Name}' ended after {done} of its {length} bytes while it was read into memory (was it truncated meanwhile?).");
                done += read;
                progress?.Report(new GgufLoadProgress(done, length));
            }
            memory.MakeReadOnly();
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    private static LoadedFileMemory Allocate(long length)
    {
        if (length <= 0 || (ulong)length > nuint.MaxValue - HugePage)
            throw new ArgumentOutOfRangeException(nameof(length), length, "A file to load must be 1 byte or more and fit the address space.");
        if (OperatingSystem.IsLinux())
        {
            // Reserve one huge page more, so that a 2 MiB-aligned start exists inside the mapping: huge pages back
            // only 2 MiB-aligned ranges of it.
            nuint mappingLength = (nuint)length + HugePage;
            nint result = mmap(0, mappingLength, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (result == -1)
                throw new OutOfMemoryException($"Could not reserve {length:N0} bytes to read the model into (mmap failed with errno {Marshal.GetLastPInvokeError()}); open it mapped instead.");
            byte* mapping = (byte*)result;
            byte* aligned = (byte*)(((nuint)mapping + HugePage - 1) & ~(HugePage - 1));
            // Only a request: under a "never" policy the memory simply stays in 4 KiB pages.
            _ = madvise((nint)aligned, (nuint)length, MadvHugePage);
            return new LoadedFileMemory(mapping, mappingLength, aligned, length);
        }
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)length, HugePage);
        return new LoadedFileMemory(block, 0, block, length);
    }

    /// <summary>Weights are read-only from here on: a stray write faults instead of silently changing the model.</summary>
    private void MakeReadOnly()
    {
        if (OperatingSystem.IsLinux())
            _ = mprotect((nint)_mapping, _mappingLength, ProtRead);
    }

    /// <summary>Bytes of the memory backed by huge pages now (Linux: the <c>AnonHugePages</c> of its mapping in
    /// /proc/self/smaps), or null where that cannot be read.</summary>
    public long? HugePageBytes()
    {
        if (!OperatingSystem.IsLinux() || _mapping is null)
            return null;
        return ProcessMemoryMap.HugePageBytes((nuint)_mapping, (nuint)_mapping + _mappingLength);
    }

    public void Dispose()
    {
        if (_mapping is null)
            return;
        if (OperatingSystem.IsLinux())
            _ = munmap((nint)_mapping, _mappingLength);
        else
            NativeMemory.AlignedFree(_mapping);
        _mapping = null;
        Pointer = null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);
}
