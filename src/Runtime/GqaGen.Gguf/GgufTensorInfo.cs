namespace GqaGen.Gguf;

/// <summary>The description of one tensor in a GGUF file: name, shape, type and where its data lies.</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(int index, string name, long[] dimensions, GgmlType type, long offset,
        long dataOffset, long elementCount, long byteSize, long infoOffset)
    {
        Index = index;
        Name = name;
        Dimensions = dimensions;
        Type = type;
        Offset = offset;
        DataOffset = dataOffset;
        ElementCount = elementCount;
        ByteSize = byteSize;
        InfoOffset = infoOffset;
    }

    /// <summary>The tensor's position in <see cref="GgufFile.Tensors"/>.</summary>
    public int Index { get; }

    /// <summary>The tensor's name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The dimensions in ggml order (the first is the innermost, contiguous one); at most 4.</summary>
    public long[] Dimensions { get; }

    /// <summary>The element type.</summary>
    public GgmlType Type { get; }

    /// <summary>The data's offset relative to the start of the file's tensor data section, as stored.</summary>
    public long Offset { get; }

    /// <summary>The data's absolute byte offset in the file.</summary>
    public long DataOffset { get; }

    /// <summary>The number of elements, the product of <see cref="Dimensions"/>.</summary>
    public long ElementCount { get; }

    /// <summary>The size of the data in bytes.</summary>
    public long ByteSize { get; }

    /// <summary>The byte offset in the file where this tensor's description starts.</summary>
    public long InfoOffset { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type} [{string.Join(", ", Dimensions)}] at {DataOffset} ({ByteSize} bytes)";
}
