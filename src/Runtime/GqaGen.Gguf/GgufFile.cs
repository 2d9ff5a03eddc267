using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;

namespace GqaGen.Gguf;

/// <summary>A parsed GGUF file (llama.cpp's model format): version, metadata, tensor descriptions, and the
/// tensor bytes, memory-mapped or read into memory when opened from a path (<see cref="GgufTensorMemory"/>).</summary>
/// <remarks>
/// Malformed or truncated input throws <see cref="GgufFormatException"/> only. Metadata and tensor descriptions are
/// read eagerly into managed objects and stay usable after <see cref="Dispose"/>; tensor data does not, and the spans
/// returned by <see cref="TensorData(GgufTensorInfo)"/> must not be used after the file is disposed.
/// GGUF versions 2 and 3 (little-endian) are supported.
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly GgufLayout _layout;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly LoadedFileMemory? _loaded;
    private byte* _pointer; // the file's first byte when mapped or loaded; null for caller memory
    private int _disposed;
    // In-memory data is pinned on the first TensorPointer call (weight matrices keep raw pointers into it) and
    // unpinned by Dispose; files that never hand out a pointer never pin.
    private readonly Lock _pinGate = new();
    private MemoryHandle _pin;
    private byte* _pinnedPointer;

    private GgufFile(GgufLayout layout, ReadOnlyMemory<byte> memory, MemoryMappedFile? map, MemoryMappedViewAccessor? view,
        LoadedFileMemory? loaded, byte* pointer, long length)
    {
        _layout = layout;
        _memory = memory;
        _map = map;
        _view = view;
        _loaded = loaded;
        _pointer = pointer;
        Length = length;
    }

    /// <summary>Opens the file at <paramref name="path"/> as <paramref name="options"/> say: memory-mapped (the default,
    /// as <see cref="Open(string)"/>) or read into memory of its own (<see cref="GgufTensorMemory.Loaded"/>, reporting
    /// progress and checking <paramref name="cancellationToken"/> between chunks), then parses it.</summary>
    /// <exception cref="GgufFormatException">The file is not a valid GGUF v2 or v3 file.</exception>
    /// <exception cref="IOException">The file cannot be opened, mapped or read.</exception>
    /// <exception cref="OutOfMemoryException">Loaded: the memory for the file cannot be reserved.</exception>
    /// <exception cref="OperationCanceledException">Loaded: cancelled while reading.</exception>
    public static GgufFile Open(string path, GgufOpenOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (options is null || options.TensorMemory == GgufTensorMemory.Mapped)
            return Open(path);
        LoadedFileMemory memory;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan))
        {
            if (stream.Length == 0)
                throw new GgufFormatException("the file is empty", 0);
            memory = LoadedFileMemory.Read(stream, options.Progress, cancellationToken);
        }
        try
        {
            var layout = GgufParser.Parse(memory.Pointer, memory.Length);
            return new GgufFile(layout, default, null, null, memory, memory.Pointer, memory.Length);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Memory-maps the file at <paramref name="path"/> read-only and parses it.</summary>
    /// <exception cref="GgufFormatException">The file is not a valid GGUF v2 or v3 file.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped.</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            long length = stream.Length;
            if (length == 0)
                throw new GgufFormatException("the file is empty", 0);
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            var layout = GgufParser.Parse(pointer, length);
            return new GgufFile(layout, default, map, view, null, pointer, length);
        }
        catch
        {
            if (acquired)
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map is not null)
                map.Dispose();
            else
                stream.Dispose();
            throw;
        }
    }

    /// <summary>Parses GGUF bytes held in memory; the returned file reads tensor data from <paramref name="data"/>,
    /// which must not change while it is in use.</summary>
    /// <exception cref="GgufFormatException">The bytes are not a valid GGUF v2 or v3 file.</exception>
    public static GgufFile Parse(ReadOnlyMemory<byte> data)
    {
        GgufLayout layout;
        using (var pin = data.Pin())
            layout = GgufParser.Parse((byte*)pin.Pointer, data.Length);
        return new GgufFile(layout, data, null, null, null, null, data.Length);
    }

    /// <summary>Parses GGUF bytes held in an array; the returned file reads tensor data from <paramref name="data"/>.</summary>
    /// <exception cref="GgufFormatException">The bytes are not a valid GGUF v2 or v3 file.</exception>
    public static GgufFile Parse(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Parse(new ReadOnlyMemory<byte>(data));
    }

    /// <summary>The GGUF version, 2 or 3.</summary>
    public int Version => (int)_layout.Version;

    /// <summary>The alignment of tensor data: <c>general.alignment</c> if present, else 32.</summary>
    public int Alignment => _layout.Alignment;

    /// <summary>The absolute byte offset of the tensor data section.</summary>
    public long DataOffset => _layout.DataStart;

    /// <summary>The length of the file in bytes.</summary>
    public long Length { get; }

    /// <summary>Whether tensor data is read from a memory-mapped file (<see cref="Open(string)"/>) rather than from memory.</summary>
    public bool IsMemoryMapped => _map is not null;

    /// <summary>Where the tensor bytes live: mapped, loaded into the file's own memory, or the caller's memory.</summary>
    public GgufTensorMemory TensorMemory
        => _map is not null ? GgufTensorMemory.Mapped : _loaded is not null ? GgufTensorMemory.Loaded : GgufTensorMemory.CallerMemory;

    /// <summary>
    /// How many bytes of the file's memory the OS backs with 2 MiB pages right now (Linux, from /proc/self/smaps: a
    /// loaded file's <c>AnonHugePages</c>, a mapped one's <c>FilePmdMapped</c>); null for caller memory, on other
    /// systems, or when the map cannot be read. A mapped file's figure grows as pages are touched.
    /// </summary>
    public long? HugePageBytes()
    {
        if (IsDisposed)
            return null;
        if (_loaded is not null)
            return _loaded.HugePageBytes();
        if (_map is not null && OperatingSystem.IsLinux())
        {
            nuint start = (nuint)_pointer - (nuint)_view!.PointerOffset;
            return ProcessMemoryMap.HugePageBytes(start & ~(nuint)4095, (nuint)_pointer + (nuint)Length + 4096);
        }
        return null;
    }

    /// <summary>The metadata key-value pairs, in file order when enumerated.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => _layout.Metadata;

    /// <summary>The tensor descriptions, in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _layout.Tensors;

    /// <summary>The metadata value for <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    public GgufValue GetValue(string key) =>
        _layout.Metadata.TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The GGUF file has no metadata key '{key}'.");

    /// <summary>Gets the metadata value for <paramref name="key"/>, if present.</summary>
    public bool TryGetValue(string key, [NotNullWhen(true)] out GgufValue? value) => _layout.Metadata.TryGetValue(key, out value);

    /// <summary>Whether the file has metadata <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => _layout.Metadata.ContainsKey(key);

    /// <summary>The scalar or string metadata <paramref name="key"/> as <typeparamref name="T"/>, the CLR type of its
    /// GGUF type exactly (see <see cref="GgufValue.As{T}"/>).</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public T Get<T>(string key) => GetValue(key).As<T>();

    /// <summary>Gets the scalar or string metadata <paramref name="key"/> as <typeparamref name="T"/>, if present.</summary>
    /// <returns><see langword="false"/> if the key is absent.</returns>
    /// <exception cref="GgufFormatException">The key is present with another type.</exception>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        if (_layout.Metadata.TryGetValue(key, out var v))
        {
            value = v.As<T>();
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>The UINT8 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public byte GetUInt8(string key) => Get<byte>(key);

    /// <summary>The INT8 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public sbyte GetInt8(string key) => Get<sbyte>(key);

    /// <summary>The UINT16 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public ushort GetUInt16(string key) => Get<ushort>(key);

    /// <summary>The INT16 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public short GetInt16(string key) => Get<short>(key);

    /// <summary>The UINT32 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public uint GetUInt32(string key) => Get<uint>(key);

    /// <summary>The INT32 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public int GetInt32(string key) => Get<int>(key);

    /// <summary>The UINT64 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public ulong GetUInt64(string key) => Get<ulong>(key);

    /// <summary>The INT64 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public long GetInt64(string key) => Get<long>(key);

    /// <summary>The FLOAT32 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public float GetFloat32(string key) => Get<float>(key);

    /// <summary>The FLOAT64 metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public double GetFloat64(string key) => Get<double>(key);

    /// <summary>The BOOL metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public bool GetBool(string key) => Get<bool>(key);

    /// <summary>The STRING metadata <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value has another type.</exception>
    public string GetString(string key) => Get<string>(key);

    /// <summary>The metadata <paramref name="key"/> of any integer type, widened to <see cref="long"/>
    /// (see <see cref="GgufValue.AsInteger"/>).</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value is not an integer or does not fit.</exception>
    public long GetInteger(string key) => GetValue(key).AsInteger();

    /// <summary>The elements of array metadata <paramref name="key"/>, whose elements must have CLR type
    /// <typeparamref name="T"/> exactly (<see cref="string"/>, <see cref="float"/>, <see cref="GgufValue"/> for nested arrays, ...).</summary>
    /// <exception cref="KeyNotFoundException">The file has no such key.</exception>
    /// <exception cref="GgufFormatException">The value is not such an array.</exception>
    public IReadOnlyList<T> GetArray<T>(string key) => GetValue(key).AsArray<T>();

    /// <summary>Gets the elements of array metadata <paramref name="key"/>, if present.</summary>
    /// <returns><see langword="false"/> if the key is absent.</returns>
    /// <exception cref="GgufFormatException">The key is present but is not an array of <typeparamref name="T"/>.</exception>
    public bool TryGetArray<T>(string key, [NotNullWhen(true)] out IReadOnlyList<T>? items)
    {
        items = _layout.Metadata.TryGetValue(key, out var v) ? v.AsArray<T>() : null;
        return items is not null;
    }

    /// <summary>The description of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public GgufTensorInfo GetTensor(string name) =>
        _layout.TensorsByName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"The GGUF file has no tensor '{name}'.");

    /// <summary>Gets the description of tensor <paramref name="name"/>, if present.</summary>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out GgufTensorInfo? tensor) => _layout.TensorsByName.TryGetValue(name, out tensor);

    /// <summary>The bytes of tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public ReadOnlySpan<byte> TensorData(string name) => TensorData(GetTensor(name));

    /// <summary>The bytes of <paramref name="tensor"/>, a description from this file's <see cref="Tensors"/>; valid
    /// until the file is disposed.</summary>
    /// <exception cref="ArgumentException"><paramref name="tensor"/> belongs to another file.</exception>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or larger, more than a span can hold.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public ReadOnlySpan<byte> TensorData(GgufTensorInfo tensor)
    {
        (long start, long size) = CheckedTensorRange(tensor);
        if (size > Array.MaxLength)
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {size} bytes, too large for one span; read it in parts.");
        return _pointer is not null
            ? new ReadOnlySpan<byte>(_pointer + start, (int)size)
            : _memory.Span.Slice((int)start, (int)size);
    }

    /// <summary>A pointer to the first byte of <paramref name="tensor"/>'s <see cref="GgufTensorInfo.ByteSize"/> bytes,
    /// with no size limit; stable until the file is disposed (in-memory data is pinned until then).</summary>
    /// <exception cref="ArgumentException"><paramref name="tensor"/> belongs to another file.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public byte* TensorPointer(GgufTensorInfo tensor)
    {
        (long start, _) = CheckedTensorRange(tensor);
        if (_pointer is not null)
            return _pointer + start;
        lock (_pinGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_pinnedPointer is null)
            {
                _pin = _memory.Pin();
                _pinnedPointer = (byte*)_pin.Pointer;
            }
            return _pinnedPointer + start;
        }
    }

    /// <summary>Whether <see cref="Dispose"/> has been called: tensor data and pointers are no longer valid.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private (long Start, long Size) CheckedTensorRange(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var tensors = _layout.Tensors;
        if ((uint)tensor.Index >= (uint)tensors.Length || !ReferenceEquals(tensors[tensor.Index], tensor))
            throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to this GGUF file.", nameof(tensor));
        long start = tensor.DataOffset, size = tensor.ByteSize;
        // The parser checked this already; checked again because the pointer arithmetic of callers relies on it.
        if (start < 0 || size < 0 || start > Length || size > Length - start)
            throw new InvalidOperationException($"Tensor '{tensor.Name}' lies outside the file.");
        return (start, size);
    }

    /// <summary>Unmaps the file or frees the memory it was loaded into (if it was opened from a path), or unpins the
    /// caller's data. Metadata and tensor descriptions remain readable.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        lock (_pinGate)
        {
            if (_pinnedPointer is not null)
            {
                _pinnedPointer = null;
                _pin.Dispose();
            }
        }
        if (_view is not null)
        {
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        if (_loaded is not null)
        {
            _pointer = null;
            _loaded.Dispose();
        }
    }
}
