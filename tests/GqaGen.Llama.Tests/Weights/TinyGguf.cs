using System.Text;
using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Weights;

/// <summary>
/// A minimal GGUF v3 writer for these tests (no metadata, default 32-byte alignment), so they do not depend on any
/// other writer: magic, version, counts, tensor descriptions, padding, data (GGUF spec, ggml docs/gguf.md).
/// </summary>
internal static class TinyGguf
{
    public static byte[] Build(params (string Name, GgmlType Type, long[] Dimensions, byte[] Data)[] tensors)
    {
        const int Alignment = 32;
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write((ulong)tensors.Length);
        writer.Write(0UL);
        ulong offset = 0;
        var offsets = new ulong[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            byte[] name = Encoding.UTF8.GetBytes(tensors[i].Name);
            writer.Write((ulong)name.Length);
            writer.Write(name);
            writer.Write((uint)tensors[i].Dimensions.Length);
            foreach (long d in tensors[i].Dimensions)
                writer.Write((ulong)d);
            writer.Write((uint)tensors[i].Type);
            offsets[i] = offset;
            writer.Write(offset);
            offset += (ulong)((tensors[i].Data.Length + Alignment - 1) / Alignment * Alignment);
        }
        Pad(writer, Alignment);
        long dataStart = stream.Position;
        for (int i = 0; i < tensors.Length; i++)
        {
            stream.Position = dataStart + (long)offsets[i];
            writer.Write(tensors[i].Data);
            Pad(writer, Alignment);
        }
        writer.Flush();
        return stream.ToArray();
    }

    private static void Pad(BinaryWriter writer, int alignment)
    {
        while (writer.BaseStream.Position % alignment != 0)
            writer.Write((byte)0);
    }
}
