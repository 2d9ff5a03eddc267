namespace GqaGen.Gguf.Tests;

public class RoundTripTests
{
    public static TheoryData<uint> Versions => new() { 2u, 3u };

    [Theory]
    [MemberData(nameof(Versions))]
    public void GgufWriter_round_trips_every_scalar_type(uint version)
    {
        var w = new RawGgufBuilder { Version = version }
            .Add("u8", GgufValueType.UInt8, (byte)250)
            .Add("i8", GgufValueType.Int8, (sbyte)-100)
            .Add("u16", GgufValueType.UInt16, (ushort)65000)
            .Add("i16", GgufValueType.Int16, (short)-32000)
            .Add("u32", GgufValueType.UInt32, 4_000_000_000u)
            .Add("i32", GgufValueType.Int32, -2_000_000_000)
            .Add("f32", GgufValueType.Float32, 3.5f)
            .Add("bool.t", GgufValueType.Bool, true)
            .Add("bool.f", GgufValueType.Bool, false)
            .Add("str", GgufValueType.String, "héllo ✓ 世界")
            .Add("empty", GgufValueType.String, "")
            .Add("u64", GgufValueType.UInt64, ulong.MaxValue)
            .Add("i64", GgufValueType.Int64, long.MinValue)
            .Add("f64", GgufValueType.Float64, -1.25e300);
        using var f = GgufFile.Parse(w.Build());

        Assert.Equal((int)version, f.Version);
        Assert.Equal(32, f.Alignment);
        Assert.Empty(f.Tensors);
        Assert.Equal(14, f.Metadata.Count);
        Assert.Equal((byte)250, f.GetUInt8("u8"));
        Assert.Equal((sbyte)-100, f.GetInt8("i8"));
        Assert.Equal((ushort)65000, f.GetUInt16("u16"));
        Assert.Equal((short)-32000, f.GetInt16("i16"));
        Assert.Equal(4_000_000_000u, f.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, f.GetInt32("i32"));
        Assert.Equal(3.5f, f.GetFloat32("f32"));
        Assert.True(f.GetBool("bool.t"));
        Assert.False(f.GetBool("bool.f"));
        Assert.Equal("héllo ✓ 世界", f.GetString("str"));
        Assert.Equal("", f.GetString("empty"));
        Assert.Equal(ulong.MaxValue, f.GetUInt64("u64"));
        Assert.Equal(long.MinValue, f.GetInt64("i64"));
        Assert.Equal(-1.25e300, f.GetFloat64("f64"));
        Assert.Equal(GgufValueType.Float64, f.Metadata["f64"].Type);
        // Keys enumerate in file order.
        Assert.Equal(["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool.t", "bool.f", "str", "empty", "u64", "i64", "f64"], f.Metadata.Keys);
        // Integer widening.
        Assert.Equal(250L, f.GetInteger("u8"));
        Assert.Equal(-2_000_000_000L, f.GetInteger("i32"));
        Assert.Equal(long.MinValue, f.GetInteger("i64"));
        Assert.Throws<GgufFormatException>(() => f.GetInteger("u64"));
        Assert.Throws<GgufFormatException>(() => f.GetInteger("str"));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void GgufWriter_round_trips_arrays_of_every_type_and_nested_arrays(uint version)
    {
        var w = new RawGgufBuilder { Version = version }
            .AddArray("a.u8", GgufValueType.UInt8, (byte)1, (byte)255)
            .AddArray("a.i8", GgufValueType.Int8, (sbyte)-1, (sbyte)127)
            .AddArray("a.u16", GgufValueType.UInt16, (ushort)1, (ushort)65535)
            .AddArray("a.i16", GgufValueType.Int16, (short)-5)
            .AddArray("a.u32", GgufValueType.UInt32, 1u, 2u, 3u)
            .AddArray("a.i32", GgufValueType.Int32, -1, 0, 1)
            .AddArray("a.f32", GgufValueType.Float32, 0.5f, -0.25f)
            .AddArray("a.bool", GgufValueType.Bool, true, false, true)
            .AddArray("a.str", GgufValueType.String, "x", "", "ÿ")
            .AddArray("a.u64", GgufValueType.UInt64, ulong.MaxValue)
            .AddArray("a.i64", GgufValueType.Int64, long.MinValue, 7L)
            .AddArray("a.f64", GgufValueType.Float64, Math.PI)
            .AddArray("a.empty", GgufValueType.UInt32)
            .AddArray("a.nested", GgufValueType.Array,
                new GArr(GgufValueType.String, "p", "q"),
                new GArr(GgufValueType.Array, new GArr(GgufValueType.Float32, 1f, 2f)),
                new GArr(GgufValueType.UInt8));
        using var f = GgufFile.Parse(w.Build());

        Assert.Equal([(byte)1, (byte)255], f.GetArray<byte>("a.u8"));
        Assert.Equal([(sbyte)-1, (sbyte)127], f.GetArray<sbyte>("a.i8"));
        Assert.Equal([(ushort)1, (ushort)65535], f.GetArray<ushort>("a.u16"));
        Assert.Equal([(short)-5], f.GetArray<short>("a.i16"));
        Assert.Equal([1u, 2u, 3u], f.GetArray<uint>("a.u32"));
        Assert.Equal([-1, 0, 1], f.GetArray<int>("a.i32"));
        Assert.Equal([0.5f, -0.25f], f.GetArray<float>("a.f32"));
        Assert.Equal([true, false, true], f.GetArray<bool>("a.bool"));
        Assert.Equal(["x", "", "ÿ"], f.GetArray<string>("a.str"));
        Assert.Equal([ulong.MaxValue], f.GetArray<ulong>("a.u64"));
        Assert.Equal([long.MinValue, 7L], f.GetArray<long>("a.i64"));
        Assert.Equal([Math.PI], f.GetArray<double>("a.f64"));
        Assert.Empty(f.GetArray<uint>("a.empty"));
        Assert.Equal(GgufValueType.UInt32, f.Metadata["a.empty"].ElementType);

        var nested = f.GetValue("a.nested");
        Assert.True(nested.IsArray);
        Assert.Equal(GgufValueType.Array, nested.ElementType);
        Assert.Equal(3, nested.ArrayLength);
        var outer = nested.AsNestedArray();
        Assert.Equal(["p", "q"], outer[0].AsArray<string>());
        Assert.Equal("a.nested[0]", outer[0].Name);
        Assert.Equal([1f, 2f], outer[1].AsNestedArray()[0].AsArray<float>());
        Assert.Empty(outer[2].AsArray<byte>());

        Assert.True(f.TryGetArray<string>("a.str", out var strs));
        Assert.Equal(3, strs.Count);
        Assert.False(f.TryGetArray<string>("missing", out _));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void GgufWriter_round_trips_tensor_infos_and_data(uint version)
    {
        float[] a = RawGgufBuilder.Ramp(12), b = RawGgufBuilder.Ramp(6, 0.5f), c = RawGgufBuilder.Ramp(8, 1.5f), q = RawGgufBuilder.Ramp(64, 0.1f);
        byte[] fa = RawGgufBuilder.F32Bytes(a), fb = RawGgufBuilder.F16Bytes(b), fc = RawGgufBuilder.BF16Bytes(c), fq = RawGgufBuilder.Q8_0Bytes(q);
        var w = new RawGgufBuilder { Version = version }
            .Add("general.name", GgufValueType.String, "tiny")
            .AddTensor("f32", GgmlType.F32, [3, 4], fa)
            .AddTensor("f16", GgmlType.F16, [6], fb)
            .AddTensor("bf16", GgmlType.BF16, [2, 2, 2], fc)
            .AddTensor("q8", GgmlType.Q8_0, [32, 2, 1, 1], fq);
        byte[] bytes = w.Build();
        using var f = GgufFile.Parse(bytes);

        Assert.Equal(4, f.Tensors.Count);
        Assert.Equal(0, f.DataOffset % 32);
        var t0 = f.Tensors[0];
        Assert.Equal("f32", t0.Name);
        Assert.Equal([3L, 4L], t0.Dimensions);
        Assert.Equal(GgmlType.F32, t0.Type);
        Assert.Equal(0, t0.Offset);
        Assert.Equal(12, t0.ElementCount);
        Assert.Equal(48, t0.ByteSize);
        Assert.Equal(f.DataOffset, t0.DataOffset);
        Assert.Equal(fa, f.TensorData(t0).ToArray());
        Assert.Equal(a, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.TensorData("f32")).ToArray());

        var t1 = f.GetTensor("f16");
        Assert.Equal(64, t1.Offset); // 48 rounded up to 32
        Assert.Equal(12, t1.ByteSize);
        Assert.Equal(fb, f.TensorData(t1).ToArray());
        var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(f.TensorData(t1)).ToArray();
        Assert.Equal(b, halves.Select(h => (float)h));

        var t2 = f.GetTensor("bf16");
        Assert.Equal(GgmlType.BF16, t2.Type);
        Assert.Equal(8, t2.ElementCount);
        Assert.Equal(16, t2.ByteSize);
        Assert.Equal(fc, f.TensorData(t2).ToArray());

        var t3 = f.GetTensor("q8");
        Assert.Equal(GgmlType.Q8_0, t3.Type);
        Assert.Equal(64, t3.ElementCount);
        Assert.Equal(68, t3.ByteSize);
        Assert.Equal(4, t3.Dimensions.Length);
        Assert.Equal(fq, f.TensorData(t3).ToArray());
        Assert.Equal(0, t3.Offset % 32);
        Assert.Equal(bytes.Length, t3.DataOffset + t3.ByteSize);
        Assert.True(f.TryGetTensor("q8", out _));
        Assert.False(f.TryGetTensor("nope", out _));
        Assert.Throws<KeyNotFoundException>(() => f.GetTensor("nope"));
    }

    [Fact]
    public void GgufFile_parses_a_large_vocabulary_quickly()
    {
        const int n = 150_000;
        object[] tokens = Enumerable.Range(0, n).Select(i => (object)$"tok{i}").ToArray();
        object[] scores = Enumerable.Range(0, n).Select(i => (object)(float)-i).ToArray();
        byte[] bytes = new RawGgufBuilder()
            .AddArray("tokenizer.ggml.tokens", GgufValueType.String, tokens)
            .AddArray("tokenizer.ggml.scores", GgufValueType.Float32, scores)
            .Build();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var f = GgufFile.Parse(bytes);
        sw.Stop();
        var toks = f.GetArray<string>("tokenizer.ggml.tokens");
        Assert.Equal(n, toks.Count);
        Assert.Equal("tok149999", toks[n - 1]);
        Assert.Equal(-149999f, f.GetArray<float>("tokenizer.ggml.scores")[n - 1]);
        Assert.True(sw.ElapsedMilliseconds < 2000, $"parse took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void GgufWriter_uses_a_custom_alignment()
    {
        var w = new RawGgufBuilder()
            .Add("general.alignment", GgufValueType.UInt32, 64u)
            .AddTensor("x", GgmlType.F32, [3], RawGgufBuilder.F32Bytes([1, 2, 3]))
            .AddTensor("y", GgmlType.F32, [1], RawGgufBuilder.F32Bytes([4]));
        using var f = GgufFile.Parse(w.Build());
        Assert.Equal(64, f.Alignment);
        Assert.Equal(0, f.DataOffset % 64);
        Assert.Equal(64, f.GetTensor("y").Offset);
        Assert.Equal(RawGgufBuilder.F32Bytes([4]), f.TensorData("y").ToArray());
    }

    [Fact]
    public void GgmlType_block_sizes_of_quantized_types_match_ggml()
    {
        (GgmlType Type, int Elements, int Bytes)[] expected =
        [
            (GgmlType.F32, 1, 4), (GgmlType.F16, 1, 2), (GgmlType.BF16, 1, 2), (GgmlType.Q8_0, 32, 34),
            (GgmlType.Q4_0, 32, 18), (GgmlType.Q4_1, 32, 20), (GgmlType.Q5_0, 32, 22), (GgmlType.Q5_1, 32, 24),
            (GgmlType.Q8_1, 32, 36), (GgmlType.Q2_K, 256, 84), (GgmlType.Q3_K, 256, 110), (GgmlType.Q4_K, 256, 144),
            (GgmlType.Q5_K, 256, 176), (GgmlType.Q6_K, 256, 210), (GgmlType.Q8_K, 256, 292),
            (GgmlType.I8, 1, 1), (GgmlType.I16, 1, 2), (GgmlType.I32, 1, 4), (GgmlType.I64, 1, 8), (GgmlType.F64, 1, 8),
        ];
        foreach (var (type, elements, bytes) in expected)
        {
            Assert.True(GgmlTypes.TryGetBlockLayout(type, out int e, out int b), type.ToString());
            Assert.Equal((elements, bytes), (e, b));
        }
        Assert.False(GgmlTypes.IsKnown((GgmlType)4));
        Assert.False(GgmlTypes.IsKnown((GgmlType)31));
    }

    [Fact]
    public void GgufFile_parses_a_quantized_tensor_info_with_its_computed_size()
    {
        // A Q4_K tensor of 512 x 2: 4 super-blocks of 144 bytes.
        var w = new RawGgufBuilder().AddTensor("q4k", GgmlType.Q4_K, [512, 2], new byte[4 * 144]);
        using var f = GgufFile.Parse(w.Build());
        Assert.Equal(576, f.GetTensor("q4k").ByteSize);
        Assert.Equal(1024, f.GetTensor("q4k").ElementCount);
    }

    [Fact]
    public void GgufFile_getters_name_the_key()
    {
        using var f = GgufFile.Parse(RawGgufBuilder.Sample().Build());
        var missing = Assert.Throws<KeyNotFoundException>(() => f.GetUInt32("llama.context_length"));
        Assert.Contains("llama.context_length", missing.Message);
        var wrong = Assert.Throws<GgufFormatException>(() => f.GetUInt64("llama.block_count"));
        Assert.Contains("llama.block_count", wrong.Message);
        Assert.Contains("UInt32", wrong.Message);
        Assert.Equal(f.Metadata["llama.block_count"].Offset, wrong.Offset);
        Assert.Throws<GgufFormatException>(() => f.GetArray<uint>("tokenizer.ggml.tokens"));
        Assert.Throws<GgufFormatException>(() => f.GetString("tokenizer.ggml.tokens"));

        Assert.True(f.TryGet<uint>("llama.block_count", out uint blocks));
        Assert.Equal(2u, blocks);
        Assert.False(f.TryGet<uint>("absent", out _));
        Assert.True(f.TryGetValue("flag", out var flag));
        Assert.True(flag.AsBool());
        Assert.True(f.ContainsKey("general.architecture"));
        Assert.Equal("llama", f.Get<string>("general.architecture"));
    }

    [Fact]
    public void GgufFile_Open_memory_maps_and_matches_Parse()
    {
        byte[] bytes = RawGgufBuilder.Sample().Build();
        string path = Path.Combine(Path.GetTempPath(), $"gqagen-gguf-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var parsed = GgufFile.Parse(bytes);
            GgufTensorInfo first;
            using (var mapped = GgufFile.Open(path))
            {
                Assert.True(mapped.IsMemoryMapped);
                Assert.False(parsed.IsMemoryMapped);
                Assert.Equal(parsed.Version, mapped.Version);
                Assert.Equal(parsed.Length, mapped.Length);
                Assert.Equal(parsed.DataOffset, mapped.DataOffset);
                Assert.Equal(parsed.Metadata.Keys, mapped.Metadata.Keys);
                foreach (var (key, value) in parsed.Metadata)
                {
                    Assert.Equal(value.Type, mapped.Metadata[key].Type);
                    Assert.Equal(value.Offset, mapped.Metadata[key].Offset);
                    if (!value.IsArray)
                        Assert.Equal(value.Value, mapped.Metadata[key].Value);
                }
                Assert.Equal(parsed.GetArray<string>("tokenizer.ggml.tokens"), mapped.GetArray<string>("tokenizer.ggml.tokens"));
                Assert.Equal(parsed.Tensors.Count, mapped.Tensors.Count);
                for (int i = 0; i < parsed.Tensors.Count; i++)
                {
                    var (p, m) = (parsed.Tensors[i], mapped.Tensors[i]);
                    Assert.Equal((p.Name, p.Type, p.Offset, p.DataOffset, p.ByteSize, p.ElementCount), (m.Name, m.Type, m.Offset, m.DataOffset, m.ByteSize, m.ElementCount));
                    Assert.Equal(p.Dimensions, m.Dimensions);
                    Assert.Equal(parsed.TensorData(p).ToArray(), mapped.TensorData(m).ToArray());
                }
                // A description from another file is refused.
                Assert.Throws<ArgumentException>(() => mapped.TensorData(parsed.Tensors[0]));
                first = mapped.Tensors[0];
                mapped.Dispose(); // double dispose is harmless
                Assert.Throws<ObjectDisposedException>(() => mapped.TensorData(first));
                Assert.Equal("llama", mapped.GetString("general.architecture"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GgufFile_Open_of_an_empty_or_truncated_file_throws_GgufFormatException()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gqagen-gguf-{Guid.NewGuid():N}.gguf");
        try
        {
            File.WriteAllBytes(path, []);
            Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
            byte[] bytes = RawGgufBuilder.Sample().Build();
            File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1).ToArray());
            Assert.Throws<GgufFormatException>(() => GgufFile.Open(path));
            // The failed opens released the file.
            File.Delete(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
