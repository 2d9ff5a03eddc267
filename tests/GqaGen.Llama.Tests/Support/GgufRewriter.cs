using GqaGen.Gguf;

namespace GqaGen.Llama.Tests.Support;

/// <summary>
/// Copies a GGUF file with changes (a metadata value replaced or removed, a tensor replaced or removed), to make the
/// broken or equivalent models the tests need from a valid synthetic one.
/// </summary>
public sealed class GgufRewriter
{
    private readonly GgufFile _source;
    private readonly Dictionary<string, Action<GgufWriter>?> _metadataChanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (GgmlType Type, long[] Dimensions, byte[] Data)?> _tensorChanges = new(StringComparer.Ordinal);

    /// <summary>Starts from <paramref name="source"/>, which must stay open until <see cref="ToArray"/>.</summary>
    public GgufRewriter(GgufFile source) => _source = source;

    /// <summary>Sets string metadata <paramref name="key"/> (replacing it in place, or adding it at the end).</summary>
    public GgufRewriter SetString(string key, string value) => SetMetadata(key, w => w.AddString(key, value));

    /// <summary>Sets UINT32 metadata <paramref name="key"/>.</summary>
    public GgufRewriter SetUInt32(string key, uint value) => SetMetadata(key, w => w.AddUInt32(key, value));

    /// <summary>Removes metadata <paramref name="key"/>.</summary>
    public GgufRewriter RemoveMetadata(string key) => SetMetadata(key, null);

    /// <summary>Replaces (or adds) tensor <paramref name="name"/>.</summary>
    public GgufRewriter SetTensor(string name, GgmlType type, long[] dimensions, byte[] data)
    {
        _tensorChanges[name] = (type, dimensions, data);
        return this;
    }

    /// <summary>Replaces (or adds) F32 tensor <paramref name="name"/> with <paramref name="values"/>.</summary>
    public GgufRewriter SetTensor(string name, long[] dimensions, float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return SetTensor(name, GgmlType.F32, dimensions, bytes);
    }

    /// <summary>Removes tensor <paramref name="name"/>.</summary>
    public GgufRewriter RemoveTensor(string name)
    {
        _tensorChanges[name] = null;
        return this;
    }

    /// <summary>The changed file's bytes.</summary>
    public byte[] ToArray()
    {
        var writer = new GgufWriter();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in _source.Metadata)
        {
            done.Add(key);
            if (key == "general.alignment")
                continue; // the writer writes it from its own Alignment
            if (_metadataChanges.TryGetValue(key, out var change))
                change?.Invoke(writer);
            else
                Copy(writer, key, value);
        }
        foreach (var (key, change) in _metadataChanges)
            if (!done.Contains(key))
                change?.Invoke(writer);

        done.Clear();
        foreach (var tensor in _source.Tensors)
        {
            done.Add(tensor.Name);
            if (_tensorChanges.TryGetValue(tensor.Name, out var change))
            {
                if (change is { } c)
                    writer.AddTensor(tensor.Name, c.Type, c.Dimensions, c.Data);
            }
            else
            {
                writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, _source.TensorData(tensor).ToArray());
            }
        }
        foreach (var (name, change) in _tensorChanges)
            if (!done.Contains(name) && change is { } c)
                writer.AddTensor(name, c.Type, c.Dimensions, c.Data);
        return writer.ToArray();
    }

    private GgufRewriter SetMetadata(string key, Action<GgufWriter>? write)
    {
        _metadataChanges[key] = write;
        return this;
    }

    private static void Copy(GgufWriter writer, string key, GgufValue value)
    {
        switch (value.Value)
        {
            case string s: writer.AddString(key, s); break;
            case uint u: writer.AddUInt32(key, u); break;
            case int i: writer.AddInt32(key, i); break;
            case ulong u: writer.AddUInt64(key, u); break;
            case float f: writer.AddFloat32(key, f); break;
            case bool b: writer.AddBool(key, b); break;
            case string[] strings: writer.AddStringArray(key, strings); break;
            case float[] floats: writer.AddFloat32Array(key, floats); break;
            case int[] ints: writer.AddInt32Array(key, ints); break;
            default:
                throw new NotSupportedException($"The rewriter cannot copy metadata '{key}' ({value}).");
        }
    }
}
