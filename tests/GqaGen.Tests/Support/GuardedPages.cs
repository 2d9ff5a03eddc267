using System.Runtime.InteropServices;

namespace GqaGen.Tests.Support;

/// <summary>
/// Native memory between two inaccessible pages: a row placed against either guard page faults on any read past its
/// end or before its start, however it is read (scalar, vector, software-emulated vector). The fault ends the test
/// host (SIGSEGV or an access violation), which the test run reports as aborted, naming the test that was running:
/// loud rather than silent. Where no guard can be made (an OS other than Linux, macOS and Windows), the memory is an
/// ordinary allocation and <see cref="IsGuarded"/> is false.
/// </summary>
internal sealed unsafe class GuardedPages : IDisposable
{
    private readonly nuint _pageSize = (nuint)Environment.SystemPageSize;
    private readonly byte* _base;
    private readonly nuint _totalBytes;

    /// <summary>Maps room for at least <paramref name="bytes"/> bytes, in whole pages, with a guard page on each side.</summary>
    public GuardedPages(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        UsableBytes = (int)(((nuint)bytes + _pageSize - 1) / _pageSize * _pageSize);
        _totalBytes = (nuint)UsableBytes + 2 * _pageSize;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            int anonymous = OperatingSystem.IsLinux() ? 0x20 : 0x1000; // MAP_ANONYMOUS
            nint address = Posix.mmap(0, _totalBytes, Posix.ProtRead | Posix.ProtWrite, Posix.MapPrivate | anonymous, -1, 0);
            if (address == -1)
                throw new InvalidOperationException($"mmap of {_totalBytes} bytes failed with errno {Marshal.GetLastPInvokeError()}.");
            _base = (byte*)address;
            Protect(Posix.mprotect((nint)_base, _pageSize, Posix.ProtNone), "mprotect");
            Protect(Posix.mprotect((nint)(_base + _pageSize + UsableBytes), _pageSize, Posix.ProtNone), "mprotect");
            IsGuarded = true;
        }
        else if (OperatingSystem.IsWindows())
        {
            _base = (byte*)Win32.VirtualAlloc(0, _totalBytes, Win32.MemCommit | Win32.MemReserve, Win32.PageReadWrite);
            if (_base == null)
                throw new InvalidOperationException($"VirtualAlloc of {_totalBytes} bytes failed with error {Marshal.GetLastPInvokeError()}.");
            Protect(Win32.VirtualProtect((nint)_base, _pageSize, Win32.PageNoAccess, out _) ? 0 : -1, "VirtualProtect");
            Protect(Win32.VirtualProtect((nint)(_base + _pageSize + UsableBytes), _pageSize, Win32.PageNoAccess, out _) ? 0 : -1, "VirtualProtect");
            IsGuarded = true;
        }
        else
        {
            _base = (byte*)NativeMemory.Alloc(_totalBytes);
        }
        new Span<byte>(_base + _pageSize, UsableBytes).Clear();
    }

    /// <summary>Whether reads outside the usable pages fault.</summary>
    public bool IsGuarded { get; }

    /// <summary>Bytes between the guards.</summary>
    public int UsableBytes { get; }

    /// <summary>Address of the first usable byte (the byte after the leading guard page).</summary>
    public nint Start => (nint)(_base + _pageSize);

    /// <summary>The last <paramref name="length"/> usable bytes: the byte after them is the trailing guard page.</summary>
    public Span<byte> AtEnd(int length) => new(_base + _pageSize + UsableBytes - length, length);

    /// <summary>The first <paramref name="length"/> usable bytes: the byte before them is the leading guard page.</summary>
    public Span<byte> AtStart(int length) => new(_base + _pageSize, length);

    public void Dispose()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            Posix.munmap((nint)_base, _totalBytes);
        else if (OperatingSystem.IsWindows())
            Win32.VirtualFree((nint)_base, 0, Win32.MemRelease);
        else
            NativeMemory.Free(_base);
    }

    private static void Protect(int result, string call)
    {
        if (result != 0)
            throw new InvalidOperationException($"{call} of a guard page failed with error {Marshal.GetLastPInvokeError()}.");
    }

    private static class Posix
    {
        public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, MapPrivate = 2;

        [DllImport("libc", SetLastError = true)]
        public static extern nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", SetLastError = true)]
        public static extern int mprotect(nint address, nuint length, int protection);

        [DllImport("libc", SetLastError = true)]
        public static extern int munmap(nint address, nuint length);
    }

    private static class Win32
    {
        public const uint MemCommit = 0x1000, MemReserve = 0x2000, MemRelease = 0x8000, PageNoAccess = 0x01, PageReadWrite = 0x04;

        [DllImport("kernel32", SetLastError = true)]
        public static extern nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protection);

        [DllImport("kernel32", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool VirtualProtect(nint address, nuint size, uint newProtection, out uint oldProtection);

        [DllImport("kernel32", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool VirtualFree(nint address, nuint size, uint freeType);
    }
}
