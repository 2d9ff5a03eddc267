using System.Buffers.Binary;
using System.Text;

namespace GqaGen.Gguf;

/// <summary>
/// Writes GGUF v3 files: metadata key/values, then tensor descriptions, then the tensor data, each tensor at an
/// offset aligned to <see cref="Alignment"/> (the layout <see cref="GgufFile"/> reads). Tensor data can be supplied
/// as bytes or streamed by a callback, so files larger than any array (a 1.1B-parameter model) can be written.
/// </summary>
/// <remarks>Public API in its own right: use it to build test models, convert weights from another format, or
/// rewrite a file's metadata. Every tensor's byte count is checked against its type and shape, and
/// <c>general.alignment</c> is written only when <see cref="Alignment"/> differs from the GGUF default.</remarks>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, Action<BinaryWriter> Write)> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize, Action<Stream> WriteData);

    /// <summary>The data alignment in bytes (a power of two); written as <c>general.alignment</c> when not 32, the GGUF default.</summary>
    public int Alignment
    {
        get;
        set
        {
            if (value <= 0 || (value & (value - 1)) != 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The alignment must be a positive power of two.");
            field = value;
        }
    } = 32;

    /// <summary>Adds a string value.</summary>
    public GgufWriter AddString(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Add(key, GgufValueType.String, w => WriteString(w, value));
    }

    /// <summary>Adds an unsigned 32-bit value.</summary>
    public GgufWriter AddUInt32(string key, uint value) => Add(key, GgufValueType.UInt32, w => w.Write(value));

    /// <summary>Adds a signed 32-bit value.</summary>
    public GgufWriter AddInt32(string key, int value) => Add(key, GgufValueType.Int32, w => w.Write(value));

    /// <summary>Adds an unsigned 64-bit value.</summary>
    public GgufWriter AddUInt64(string key, ulong value) => Add(key, GgufValueType.UInt64, w => w.Write(value));

    /// <summary>Adds a 32-bit float value.</summary>
    public GgufWriter AddFloat32(string key, float value) => Add(key, GgufValueType.Float32, w => w.Write(value));

    /// <summary>Adds a boolean value.</summary>
    public GgufWriter AddBool(string key, bool value) => Add(key, GgufValueType.Bool, w => w.Write((byte)(value ? 1 : 0)));

    /// <summary>Adds an array of strings.</summary>
    public GgufWriter AddStringArray(string key, IReadOnlyList<string> values) =>
        AddArray(key, GgufValueType.String, values, (w, s) => WriteString(w, s ?? throw new ArgumentException($"The array for '{key}' contains null.", nameof(values))));

    /// <summary>Adds an array of 32-bit floats.</summary>
    public GgufWriter AddFloat32Array(string key, IReadOnlyList<float> values) => AddArray(key, GgufValueType.Float32, values, (w, x) => w.Write(x));

    /// <summary>Adds an array of signed 32-bit integers.</summary>
    public GgufWriter AddInt32Array(string key, IReadOnlyList<int> values) => AddArray(key, GgufValueType.Int32, values, (w, x) => w.Write(x));

    /// <summary>Adds a tensor whose bytes are given; their count must be what <paramref name="type"/> and
    /// <paramref name="dimensions"/> need.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        long size = TensorByteSize(name, type, dimensions);
        if (data.Length != size)
            throw new ArgumentException($"Tensor '{name}' ({type} [{string.Join(", ", dimensions)}]) needs {size} bytes, got {data.Length}.", nameof(data));
        return AddTensorCore(name, type, dimensions, size, s => s.Write(data.Span));
    }

    /// <summary>Adds a tensor whose bytes <paramref name="writeData"/> writes when the file is written; it must
    /// write exactly the byte size <paramref name="type"/> and <paramref name="dimensions"/> give (checked).</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        long size = TensorByteSize(name, type, dimensions);
        return AddTensorCore(name, type, dimensions, size, writeData);
    }

    /// <summary>Writes the whole file to <paramref name="destination"/>, which must be writable (it need not seek).</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var counting = new CountingStream(destination);
        var offsets = new long[_tensors.Count];
        using (var w = new BinaryWriter(counting, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(0x46554747u); // "GGUF"
            w.Write(3u);
            w.Write((ulong)_tensors.Count);
            bool writeAlignment = Alignment != 32;
            w.Write((ulong)(_metadata.Count + (writeAlignment ? 1 : 0)));
            foreach (var (key, type, write) in _metadata)
            {
                WriteString(w, key);
                w.Write((uint)type);
                write(w);
            }
            if (writeAlignment)
            {
                WriteString(w, "general.alignment");
                w.Write((uint)GgufValueType.UInt32);
                w.Write((uint)Alignment);
            }

            long offset = 0;
            for (int i = 0; i < _tensors.Count; i++)
            {
                var t = _tensors[i];
                WriteString(w, t.Name);
                w.Write((uint)t.Dimensions.Length);
                foreach (long d in t.Dimensions)
                    w.Write((ulong)d);
                w.Write((uint)t.Type);
                offset = AlignUp(offset, Alignment);
                offsets[i] = offset;
                w.Write((ulong)offset);
                offset += t.ByteSize;
            }
            w.Flush();
        }

        long dataStart = AlignUp(counting.Position, Alignment);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            PadTo(counting, dataStart + offsets[i]);
            long before = counting.Position;
            t.WriteData(counting);
            long written = counting.Position - before;
            if (written != t.ByteSize)
                throw new InvalidOperationException($"The data callback of tensor '{t.Name}' wrote {written} bytes; its type and shape need {t.ByteSize}.");
        }
        counting.Flush();
    }

    /// <summary>Writes the file to <paramref name="path"/>, replacing any file there.</summary>
    public void WriteTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        WriteTo(stream);
    }

    /// <summary>The whole file as bytes (for files under 2 GiB).</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    private GgufWriter Add(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key == "general.alignment")
            throw new ArgumentException("Set GgufWriter.Alignment instead: the writer writes 'general.alignment' itself, so that it always matches the offsets it lays out.", nameof(key));
        if (!_keys.Add(key))
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        _metadata.Add((key, type, write));
        return this;
    }

    private GgufWriter AddArray<T>(string key, GgufValueType elementType, IReadOnlyList<T> values, Action<BinaryWriter, T> writeItem)
    {
        ArgumentNullException.ThrowIfNull(values);
        var copy = values.ToArray(); // the caller may change its list before the file is written
        return Add(key, GgufValueType.Array, w =>
        {
            w.Write((uint)elementType);
            w.Write((ulong)copy.Length);
            foreach (var item in copy)
                writeItem(w, item);
        });
    }

    private GgufWriter AddTensorCore(string name, GgmlType type, long[] dimensions, long size, Action<Stream> writeData)
    {
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        _tensors.Add(new PendingTensor(name, type, (long[])dimensions.Clone(), size, writeData));
        return this;
    }

    private static long TensorByteSize(string name, GgmlType type, long[] dimensions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length is < 1 or > 4)
            throw new ArgumentException($"Tensor '{name}' has {dimensions.Length} dimensions; GGUF allows 1 to 4.", nameof(dimensions));
        if (!GgmlTypes.TryGetBlockLayout(type, out int blockElements, out int blockBytes))
            throw new ArgumentException($"Tensor '{name}' has type {type}, which has no known block layout.", nameof(type));
        long elements = 1;
        foreach (long d in dimensions)
        {
            if (d <= 0)
                throw new ArgumentException($"Tensor '{name}' has dimension {d}; every dimension must be positive.", nameof(dimensions));
            elements = checked(elements * d);
        }
        if (dimensions[0] % blockElements != 0)
            throw new ArgumentException($"Tensor '{name}' of type {type} needs its first dimension to be a multiple of {blockElements}, got {dimensions[0]}.", nameof(dimensions));
        return checked(elements / blockElements * blockBytes);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static long AlignUp(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    private static void PadTo(CountingStream stream, long position)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (stream.Position < position)
            stream.Write(zeros[..(int)Math.Min(zeros.Length, position - stream.Position)]);
    }

    /// <summary>Counts bytes written, so offsets are known on streams that cannot seek.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _position;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _position;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            _position += count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            _position += buffer.Length;
        }

        public override void WriteByte(byte value)
        {
            inner.WriteByte(value);
            _position++;
        }
    }
}
