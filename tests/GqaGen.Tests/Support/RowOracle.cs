using System.Buffers.Binary;

namespace GqaGen.Tests.Support;

/// <summary>
/// How a K/V row of each <see cref="KvElementType"/> is stored and read, from the formats' definitions
/// (<see cref="HalfOracle"/>, <see cref="BFloat16Oracle"/>, <see cref="Q8_0Oracle"/>): the expectation the row
/// formats, <see cref="KvCache"/> and the unrounded-error tests are checked against.
/// </summary>
internal static class RowOracle
{
    /// <summary>Bytes per row: 4·d, 2·d, 2·d, or 34 per started block of 32.</summary>
    public static int RowBytes(KvElementType type, int headDim) => type switch
    {
        KvElementType.Float32 => 4 * headDim,
        KvElementType.Float16 or KvElementType.BFloat16 => 2 * headDim,
        KvElementType.Q8_0 => Q8_0Oracle.RowBytes(headDim),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The stored bytes of <paramref name="row"/> (little-endian).</summary>
    public static byte[] Encode(KvElementType type, ReadOnlySpan<float> row)
    {
        if (type == KvElementType.Q8_0)
            return Q8_0Oracle.Quantize(row);
        var bytes = new byte[RowBytes(type, row.Length)];
        for (int i = 0; i < row.Length; i++)
        {
            switch (type)
            {
                case KvElementType.Float32:
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), BitConverter.SingleToInt32Bits(row[i]));
                    break;
                case KvElementType.Float16:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), HalfOracle.RoundSaturated(row[i]));
                    break;
                case KvElementType.BFloat16:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), BFloat16Oracle.RoundToNearestEven(row[i]));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, null);
            }
        }
        return bytes;
    }

    /// <summary>Element <paramref name="element"/> of the stored row <paramref name="row"/>, as the exact single it denotes.</summary>
    public static float Decode(KvElementType type, ReadOnlySpan<byte> row, int element) => type switch
    {
        KvElementType.Float32 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(row.Slice(4 * element))),
        KvElementType.Float16 => (float)HalfOracle.Value(BinaryPrimitives.ReadUInt16LittleEndian(row.Slice(2 * element))),
        KvElementType.BFloat16 => (float)BFloat16Oracle.Value(BinaryPrimitives.ReadUInt16LittleEndian(row.Slice(2 * element))),
        KvElementType.Q8_0 => Q8_0Oracle.Dequantize(row, element),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary><paramref name="row"/> as a cache of <paramref name="type"/> gives it back: encoded, then decoded.</summary>
    public static float[] RoundTrip(KvElementType type, ReadOnlySpan<float> row)
    {
        byte[] bytes = Encode(type, row);
        var result = new float[row.Length];
        for (int i = 0; i < row.Length; i++)
            result[i] = Decode(type, bytes, i);
        return result;
    }
}
