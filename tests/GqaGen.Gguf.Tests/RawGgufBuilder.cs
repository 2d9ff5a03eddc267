using System.Text;

namespace GqaGen.Gguf.Tests;

/// <summary>An array value for <see cref="RawGgufBuilder"/>: element type and elements (nested <see cref="GArr"/> for arrays of arrays).</summary>
public sealed record GArr(GgufValueType ElementType, params object[] Items);

/// <summary>
/// Builds GGUF files byte by byte for the reader tests, with knobs to break them on purpose (wrong counts, versions,
/// offsets, alignments). Deliberately not the product's <see cref="GqaGen.Gguf.GgufWriter"/>: that writer refuses to
/// write a malformed file, and the reader's tests need an encoder that shares no code with the code under test.
/// </summary>
public sealed class RawGgufBuilder
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _kvs = [];
    private readonly List<(string Name, GgmlType Type, long[] Dims, byte[] Data, ulong? Offset)> _tensors = [];

    /// <summary>The version written in the header.</summary>
    public uint Version { get; set; } = 3;

    /// <summary>If set, written instead of the real tensor count.</summary>
    public ulong? TensorCountOverride { get; set; }

    /// <summary>If set, written instead of the real metadata count.</summary>
    public ulong? KvCountOverride { get; set; }

    /// <summary>If set, used to lay out data instead of general.alignment / 32.</summary>
    public int? LayoutAlignment { get; set; }

    public RawGgufBuilder Add(string key, GgufValueType type, object value)
    {
        _kvs.Add((key, type, value));
        return this;
    }

    public RawGgufBuilder AddArray(string key, GgufValueType elementType, params object[] items) =>
        Add(key, GgufValueType.Array, new GArr(elementType, items));

    public RawGgufBuilder AddTensor(string name, GgmlType type, long[] dims, byte[] data, ulong? offsetOverride = null)
    {
        _tensors.Add((name, type, dims, data, offsetOverride));
        return this;
    }

    public int Alignment => LayoutAlignment
        ?? (_kvs.FirstOrDefault(kv => kv.Key == "general.alignment" && kv.Type == GgufValueType.UInt32).Value is object a ? (int)Convert.ToUInt32(a) : 32);

    public byte[] Build()
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x46554747u);
        w.Write(Version);
        w.Write(TensorCountOverride ?? (ulong)_tensors.Count);
        w.Write(KvCountOverride ?? (ulong)_kvs.Count);
        foreach (var (key, type, value) in _kvs)
        {
            WriteString(w, key);
            w.Write((uint)type);
            WriteValue(w, type, value);
        }

        int alignment = Alignment;
        long running = 0;
        var offsets = new List<long>();
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims)
                w.Write((ulong)d);
            w.Write((uint)t.Type);
            running = Align(running, alignment);
            offsets.Add(running);
            w.Write(t.Offset ?? (ulong)running);
            running += t.Data.Length;
        }

        long dataStart = Align(ms.Position, alignment);
        if (_tensors.Count > 0)
        {
            Pad(w, dataStart);
            for (int i = 0; i < _tensors.Count; i++)
            {
                Pad(w, dataStart + offsets[i]);
                w.Write(_tensors[i].Data);
            }
        }
        w.Flush();
        return ms.ToArray();
    }

    public static long Align(long x, int a) => (x + a - 1) / a * a;

    private static void Pad(BinaryWriter w, long to)
    {
        while (w.BaseStream.Position < to)
            w.Write((byte)0);
    }

    public static void WriteString(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object v)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(v)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(v)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(v)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(v)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(v)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(v)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(v)); break;
            case GgufValueType.Bool: w.Write((byte)((bool)v ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)v); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(v)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(v)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(v)); break;
            case GgufValueType.Array:
                var arr = (GArr)v;
                w.Write((uint)arr.ElementType);
                w.Write((ulong)arr.Items.Length);
                foreach (var item in arr.Items)
                    WriteValue(w, arr.ElementType, item);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    // ---- tensor data helpers ----

    public static byte[] F32Bytes(float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(b.AsSpan(4 * i), values[i]);
        return b;
    }

    public static byte[] F16Bytes(float[] values)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(b.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)values[i]));
        return b;
    }

    public static byte[] BF16Bytes(float[] values)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BitConverter.TryWriteBytes(b.AsSpan(2 * i), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
        return b;
    }

    /// <summary>Q8_0: per block of 32, an f16 scale then 32 signed bytes.</summary>
    public static byte[] Q8_0Bytes(float[] values)
    {
        if (values.Length % 32 != 0)
            throw new ArgumentException("Q8_0 needs a multiple of 32 values.");
        var b = new byte[values.Length / 32 * 34];
        for (int blk = 0; blk < values.Length / 32; blk++)
        {
            var chunk = values.AsSpan(blk * 32, 32);
            float amax = 0;
            foreach (float x in chunk)
                amax = Math.Max(amax, Math.Abs(x));
            float d = amax / 127f;
            BitConverter.TryWriteBytes(b.AsSpan(blk * 34), BitConverter.HalfToUInt16Bits((Half)d));
            for (int i = 0; i < 32; i++)
                b[blk * 34 + 2 + i] = (byte)(sbyte)(d == 0 ? 0 : Math.Round(chunk[i] / d));
        }
        return b;
    }

    public static float[] Ramp(int n, float scale = 0.25f) => Enumerable.Range(0, n).Select(i => (i - n / 2) * scale).ToArray();

    /// <summary>A small valid file: metadata of several types (including a nested array) and two tensors.</summary>
    public static RawGgufBuilder Sample(uint version = 3)
    {
        var w = new RawGgufBuilder { Version = version };
        w.Add("general.architecture", GgufValueType.String, "llama")
         .Add("llama.block_count", GgufValueType.UInt32, 2u)
         .Add("llama.rope.freq_base", GgufValueType.Float32, 10000f)
         .Add("flag", GgufValueType.Bool, true)
         .AddArray("tokenizer.ggml.tokens", GgufValueType.String, "a", "bc", "")
         .AddArray("nested", GgufValueType.Array, new GArr(GgufValueType.Int16, (short)1, (short)-2), new GArr(GgufValueType.UInt8))
         .AddTensor("tok_embd.weight", GgmlType.F32, [4, 2], F32Bytes(Ramp(8)))
         .AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [32, 1], Q8_0Bytes(Ramp(32)));
        return w;
    }
}
