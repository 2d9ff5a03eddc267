using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace GqaGen.Gguf;

/// <summary>What the parser found: everything but the bytes themselves.</summary>
internal sealed record GgufLayout(
    uint Version,
    int Alignment,
    long DataStart,
    Dictionary<string, GgufValue> Metadata,
    GgufTensorInfo[] Tensors,
    Dictionary<string, GgufTensorInfo> TensorsByName);

/// <summary>Describes the item being read, for error messages; formatted only when one is thrown, so reading a
/// 150k-entry vocabulary does not build 150k messages. <see cref="Format"/> takes the name as {0} and the index as {1}.</summary>
internal readonly record struct What(string Format, string? Name = null, long Index = 0)
{
    public override string ToString() => string.Format(System.Globalization.CultureInfo.InvariantCulture, Format, Name, Index);

    public static implicit operator What(string text) => new(text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));
}

/// <summary>Parses the GGUF header over a pointer and a length, bounds-checking every read.</summary>
/// <remarks>Every claim the file makes (a count, a length, a dimension) is checked against the bytes that remain before
/// anything is allocated for it, so a hostile file costs at most a small multiple of its own size.</remarks>
internal unsafe sealed class GgufParser
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const int DefaultAlignment = 32;
    public const int MaxDimensions = 4;
    public const int MaxArrayDepth = 8;
    public const string AlignmentKey = "general.alignment";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte* _p;
    private readonly long _length;
    private long _pos;

    private GgufParser(byte* p, long length)
    {
        _p = p;
        _length = length;
    }

    private long Remaining => _length - _pos;

    public static GgufLayout Parse(byte* p, long length)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The GGUF reader needs a little-endian machine.");
        return new GgufParser(p, length).ParseAll();
    }

    private GgufLayout ParseAll()
    {
        if (_length < 4)
            throw new GgufFormatException($"the file is {_length} byte(s) long, too short for the 4-byte magic \"GGUF\"", 0);
        uint magic = ReadUInt32("magic");
        if (magic != Magic)
        {
            var bytes = new ReadOnlySpan<byte>(_p, 4);
            string hex = Convert.ToHexString(bytes);
            string ascii = string.Concat(bytes.ToArray().Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.'));
            throw new GgufFormatException($"bad magic: expected 47 47 55 46 (\"GGUF\") but found {string.Join(' ', Enumerable.Range(0, 4).Select(i => hex.Substring(2 * i, 2)))} (\"{ascii}\")", 0);
        }

        long versionOffset = _pos;
        uint version = ReadUInt32("version");
        if (version is not (2 or 3))
        {
            uint swapped = BinaryPrimitives.ReverseEndianness(version);
            string hint = version == 1 ? " (GGUF v1, with 32-bit counts, is obsolete and not supported)"
                : swapped is 2 or 3 ? $" (this looks like a big-endian GGUF v{swapped}, which is not supported)"
                : "";
            throw new GgufFormatException($"unsupported version {version}; only versions 2 and 3 are supported{hint}", versionOffset);
        }

        long tensorCountOffset = _pos;
        ulong tensorCount = ReadUInt64("tensor count");
        long kvCountOffset = _pos;
        ulong kvCount = ReadUInt64("metadata key-value count");

        // Each KV needs at least an 8-byte key length, a 4-byte type and a 1-byte value.
        const int minKv = 8 + 4 + 1;
        if (kvCount > (ulong)(Remaining / minKv))
            throw new GgufFormatException($"metadata key-value count {kvCount} is impossible: each needs at least {minKv} bytes and only {Remaining} remain", kvCountOffset);
        // Each tensor info needs at least an 8-byte name length, a 4-byte dimension count, a 4-byte type and an 8-byte offset.
        const int minTensor = 8 + 4 + 4 + 8;
        if (tensorCount > (ulong)(Remaining / minTensor))
            throw new GgufFormatException($"tensor count {tensorCount} is impossible: each tensor description needs at least {minTensor} bytes and only {Remaining} remain", tensorCountOffset);

        var metadata = new Dictionary<string, GgufValue>((int)Math.Min(kvCount, 1024), StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            long keyOffset = _pos;
            string key = ReadString(new What("key of metadata entry #{1}", null, (long)i));
            if (metadata.ContainsKey(key))
                throw new GgufFormatException($"duplicate metadata key '{key}'", keyOffset);
            long typeOffset = _pos;
            uint type = ReadUInt32(new What("value type of metadata '{0}'", key));
            if (type > (uint)GgufValueType.Float64)
                throw new GgufFormatException($"unknown value type {type} for metadata '{key}' (known types are 0 to 12)", typeOffset);
            metadata.Add(key, ReadValue(key, (GgufValueType)type, depth: 0));
        }

        int alignment = DefaultAlignment;
        if (metadata.TryGetValue(AlignmentKey, out var alignValue))
        {
            if (alignValue.Type != GgufValueType.UInt32)
                throw new GgufFormatException($"'{AlignmentKey}' must be a UINT32 but is {(alignValue.IsArray ? "an array" : alignValue.Type.ToString())}", alignValue.Offset);
            uint a = alignValue.AsUInt32();
            if (a == 0 || (a & (a - 1)) != 0 || a > (1u << 30))
                throw new GgufFormatException($"'{AlignmentKey}' is {a}; it must be a power of two (and at most 2^30)", alignValue.Offset);
            alignment = (int)a;
        }

        if (tensorCount > (ulong)Array.MaxLength)
            throw new GgufFormatException($"tensor count {tensorCount} is not supported", tensorCountOffset);
        // Grown as the descriptions are read rather than sized from the count the file claims.
        int initial = (int)Math.Min(tensorCount, 1024);
        var tensorList = new List<GgufTensorInfo>(initial);
        var offsets = new List<(ulong Offset, long FieldOffset)>(initial);
        var byName = new Dictionary<string, GgufTensorInfo>(initial, StringComparer.Ordinal);
        for (int i = 0; (ulong)i < tensorCount; i++)
        {
            long infoOffset = _pos;
            string name = ReadString(new What("name of tensor #{1}", null, i));
            if (byName.ContainsKey(name))
                throw new GgufFormatException($"duplicate tensor name '{name}'", infoOffset);

            long nDimsOffset = _pos;
            uint nDims = ReadUInt32(new What("dimension count of tensor '{0}'", name));
            if (nDims > MaxDimensions)
                throw new GgufFormatException($"tensor '{name}' has {nDims} dimensions; at most {MaxDimensions} are allowed", nDimsOffset);
            var dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < dims.Length; d++)
            {
                long dimOffset = _pos;
                ulong dim = ReadUInt64(new What("dimension {1} of tensor '{0}'", name, d));
                if (dim > long.MaxValue)
                    throw new GgufFormatException($"dimension {d} of tensor '{name}' is {dim}, above 2^63-1", dimOffset);
                dims[d] = (long)dim;
                if (!TryMultiply(elements, (long)dim, out elements))
                    throw new GgufFormatException($"the element count of tensor '{name}' [{string.Join(", ", dims.Take(d + 1))}...] overflows a 64-bit integer", dimOffset);
            }

            long typeOffset = _pos;
            uint typeId = ReadUInt32(new What("type of tensor '{0}'", name));
            var type = (GgmlType)typeId;
            if (!GgmlTypes.TryGetBlockLayout(type, out int blockElements, out int blockBytes))
                throw new GgufFormatException($"tensor '{name}' has unknown ggml type id {typeId}", typeOffset);
            long rowLength = dims.Length > 0 ? dims[0] : 1;
            if (rowLength % blockElements != 0)
                throw new GgufFormatException($"tensor '{name}' of type {type} has a first dimension of {rowLength}, not a multiple of its block size {blockElements}", typeOffset);
            if (!TryMultiply(elements / blockElements, blockBytes, out long byteSize))
                throw new GgufFormatException($"the byte size of tensor '{name}' ({elements} elements of {type}) overflows a 64-bit integer", typeOffset);

            long offsetOffset = _pos;
            ulong offset = ReadUInt64(new What("data offset of tensor '{0}'", name));
            offsets.Add((offset, offsetOffset));
            // The absolute offset is filled in once the data section's start is known.
            var info = new GgufTensorInfo(i, name, dims, type, offset: 0, dataOffset: 0, elements, byteSize, infoOffset);
            tensorList.Add(info);
            byName.Add(name, info);
        }

        long infoEnd = _pos;
        long dataStart = infoEnd + (alignment - infoEnd % alignment) % alignment; // infoEnd <= length, alignment <= 2^30: no overflow

        var tensors = tensorList.ToArray();
        long space = Math.Max(0, _length - dataStart);
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            var (offset, fieldOffset) = offsets[i];
            if (offset % (ulong)alignment != 0)
                throw new GgufFormatException($"tensor '{t.Name}' has data offset {offset}, not a multiple of the alignment {alignment}", fieldOffset);
            if (offset > (ulong)space || t.ByteSize > space - (long)offset)
                throw new GgufFormatException($"tensor '{t.Name}' data ({t.ByteSize} bytes at data offset {offset}, file offset {(decimal)dataStart + offset}) extends past the end of the {_length}-byte file", fieldOffset);
            tensors[i] = new GgufTensorInfo(i, t.Name, t.Dimensions, t.Type, (long)offset, dataStart + (long)offset, t.ElementCount, t.ByteSize, t.InfoOffset);
            byName[t.Name] = tensors[i];
        }

        return new GgufLayout(version, alignment, dataStart, metadata, tensors, byName);
    }

    private static bool TryMultiply(long a, long b, out long product)
    {
        try
        {
            product = checked(a * b);
            return true;
        }
        catch (OverflowException)
        {
            product = 0;
            return false;
        }
    }

    private GgufValue ReadValue(string name, GgufValueType type, int depth)
    {
        long offset = _pos;
        var what = new What("value of metadata '{0}'", name);
        object value = type switch
        {
            GgufValueType.UInt8 => ReadByte(what),
            GgufValueType.Int8 => (sbyte)ReadByte(what),
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)),
            GgufValueType.UInt32 => ReadUInt32(what),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what)),
            GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what)),
            GgufValueType.Bool => ReadBool(what),
            GgufValueType.String => ReadString(new What("string value of metadata '{0}'", name)),
            GgufValueType.UInt64 => ReadUInt64(what),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what)),
            GgufValueType.Array => null!,
            _ => throw new GgufFormatException($"unknown value type {(uint)type} for metadata '{name}'", offset),
        };
        if (type != GgufValueType.Array)
            return new GgufValue(name, type, value, offset);
        return ReadArray(name, depth + 1);
    }

    private GgufValue ReadArray(string name, int depth)
    {
        long offset = _pos;
        if (depth > MaxArrayDepth)
            throw new GgufFormatException($"arrays in metadata '{name}' nest deeper than {MaxArrayDepth} levels", offset);
        uint elemTypeId = ReadUInt32(new What("array element type of metadata '{0}'", name));
        if (elemTypeId > (uint)GgufValueType.Float64)
            throw new GgufFormatException($"unknown array element type {elemTypeId} in metadata '{name}' (known types are 0 to 12)", offset);
        var elemType = (GgufValueType)elemTypeId;
        long countOffset = _pos;
        ulong count = ReadUInt64(new What("array length of metadata '{0}'", name));
        int minSize = MinSize(elemType);
        if (count > (ulong)(Remaining / minSize) || count > (ulong)Array.MaxLength)
            throw new GgufFormatException($"array length {count} of metadata '{name}' is impossible: each {elemType} element needs at least {minSize} byte(s) and only {Remaining} remain", countOffset);
        int n = (int)count;

        Array items = elemType switch
        {
            GgufValueType.UInt8 => ReadPrimitives<byte>(n, name),
            GgufValueType.Int8 => ReadPrimitives<sbyte>(n, name),
            GgufValueType.UInt16 => ReadPrimitives<ushort>(n, name),
            GgufValueType.Int16 => ReadPrimitives<short>(n, name),
            GgufValueType.UInt32 => ReadPrimitives<uint>(n, name),
            GgufValueType.Int32 => ReadPrimitives<int>(n, name),
            GgufValueType.Float32 => ReadPrimitives<float>(n, name),
            GgufValueType.UInt64 => ReadPrimitives<ulong>(n, name),
            GgufValueType.Int64 => ReadPrimitives<long>(n, name),
            GgufValueType.Float64 => ReadPrimitives<double>(n, name),
            GgufValueType.Bool => ReadBools(n, name),
            GgufValueType.String => ReadStrings(n, name),
            _ => ReadArrays(n, name, depth),
        };
        return new GgufValue(name, GgufValueType.Array, items, offset, elemType);
    }

    private static int MinSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.String => 8,
        GgufValueType.Array => 4 + 8,
        _ => 8,
    };

    private T[] ReadPrimitives<T>(int n, string name) where T : unmanaged
    {
        long bytes = (long)n * sizeof(T); // n <= Remaining / sizeof(T), so this cannot overflow
        var span = Take(bytes, new What("elements of array '{0}'", name));
        var items = new T[n];
        span.CopyTo(MemoryMarshal.AsBytes(items.AsSpan()));
        return items;
    }

    private bool[] ReadBools(int n, string name)
    {
        long offset = _pos;
        var bytes = Take(n, new What("elements of array '{0}'", name));
        var items = new bool[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = bytes[i] switch
            {
                0 => false,
                1 => true,
                _ => throw new GgufFormatException($"element {i} of boolean array '{name}' is {bytes[i]}; it must be 0 or 1", offset + i),
            };
        }
        return items;
    }

    private string[] ReadStrings(int n, string name)
    {
        var items = new string[n];
        for (int i = 0; i < n; i++)
            items[i] = ReadString(new What("element {1} of string array '{0}'", name, i));
        return items;
    }

    private GgufValue[] ReadArrays(int n, string name, int depth)
    {
        var items = new GgufValue[n];
        for (int i = 0; i < n; i++)
            items[i] = ReadArray($"{name}[{i}]", depth + 1);
        return items;
    }

    private ReadOnlySpan<byte> Take(long n, What what)
    {
        if (n > Remaining)
            throw new GgufFormatException($"unexpected end of data reading {what}: needs {n} byte(s) but only {Remaining} remain", _pos);
        if (n > int.MaxValue)
            throw new GgufFormatException($"{what} is {n} bytes long; items over 2 GiB are not supported", _pos);
        var span = new ReadOnlySpan<byte>(_p + _pos, (int)n);
        _pos += n;
        return span;
    }

    private byte ReadByte(What what) => Take(1, what)[0];

    private bool ReadBool(What what)
    {
        long offset = _pos;
        byte b = ReadByte(what);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new GgufFormatException($"boolean {what} is {b}; it must be 0 or 1", offset),
        };
    }

    private uint ReadUInt32(What what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    private ulong ReadUInt64(What what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    private string ReadString(What what)
    {
        long offset = _pos;
        if (Remaining < 8)
            throw new GgufFormatException($"unexpected end of data reading the length of {what}: needs 8 bytes but only {Remaining} remain", _pos);
        ulong length = ReadUInt64(what);
        if (length > (ulong)Remaining)
            throw new GgufFormatException($"{what} claims a length of {length} bytes but only {Remaining} remain", offset);
        if (length > int.MaxValue)
            throw new GgufFormatException($"{what} is {length} bytes long; strings over 2 GiB are not supported", offset);
        var bytes = Take((long)length, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new GgufFormatException($"{what} is not valid UTF-8", offset);
        }
    }
}
