using System.Buffers.Binary;
using System.Text;

namespace GqaGen.Bench.Peers;

/// <summary>
/// The few protocol-buffer encodings an ONNX model needs, written by hand: the ONNX Runtime package ships no ONNX
/// protobuf types, and one small graph does not justify a protobuf dependency.
/// </summary>
/// <remarks>
/// Wire format (protobuf encoding guide, "Message Structure"): every field is a tag, <c>(field number &lt;&lt; 3) | wire type</c>
/// written as a varint, then the value: wire type 0 a varint (int32, int64, enum), 5 four little-endian bytes (float),
/// 2 a varint length then that many bytes (string, bytes, embedded message). A nested message is written into its
/// own <see cref="ProtoWriter"/> and added with <see cref="Message"/>, so no length has to be known in advance.
/// Negative integers are written as 10-byte varints, as protobuf does for int32 and int64 (not zigzag).
/// </remarks>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly MemoryStream _bytes = new();

    /// <summary>An integer field (int32, int64 or enum).</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, WireVarint);
        Varint((ulong)value);
        return this;
    }

    /// <summary>A float field (fixed 32 bits, little-endian).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        _bytes.Write(buffer);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>An embedded message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    private ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    private void Tag(int field, int wireType)
    {
        if (field is < 1 or > (1 << 29) - 1)
            throw new ArgumentOutOfRangeException(nameof(field), field, $"A protobuf field number must be between 1 and {(1 << 29) - 1}; got {field}.");
        Varint(((ulong)field << 3) | (uint)wireType);
    }

    /// <summary>Seven bits per byte, least significant group first, the high bit set on every byte but the last.</summary>
    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
