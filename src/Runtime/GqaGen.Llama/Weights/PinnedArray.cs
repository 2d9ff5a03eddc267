using System.Runtime.InteropServices;

namespace GqaGen.Llama;

/// <summary>
/// Keeps a byte array pinned for as long as this object is reachable, so a raw pointer into it stays valid; the
/// finalizer unpins it. Whoever uses <see cref="Pointer"/> must keep this object alive (<see cref="GC.KeepAlive"/>)
/// until done with the pointer.
/// </summary>
internal sealed unsafe class PinnedArray
{
    private GCHandle _handle;

    public PinnedArray(byte[] array)
    {
        _handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        Pointer = (byte*)_handle.AddrOfPinnedObject();
    }

    /// <summary>The address of element 0.</summary>
    public byte* Pointer { get; }

    ~PinnedArray() => _handle.Free();
}
