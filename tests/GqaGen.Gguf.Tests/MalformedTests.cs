using System.Diagnostics;

namespace GqaGen.Gguf.Tests;

public class MalformedTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static GgufFormatException Fails(byte[] bytes)
    {
        Exception? caught = null;
        try
        {
            using var f = GgufFile.Parse(bytes);
        }
        catch (Exception e)
        {
            caught = e;
        }
        Assert.NotNull(caught);
        return Assert.IsType<GgufFormatException>(caught);
    }

    /// <summary>A header followed by whatever <paramref name="body"/> writes.</summary>
    private static byte[] Raw(uint version, ulong tensorCount, ulong kvCount, Action<BinaryWriter>? body = null, int padTo = 0)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x46554747u);
        w.Write(version);
        w.Write(tensorCount);
        w.Write(kvCount);
        body?.Invoke(w);
        while (ms.Length < padTo)
            w.Write((byte)0);
        w.Flush();
        return ms.ToArray();
    }

    [Fact]
    public void GgufFile_truncated_at_every_offset_throws_only_GgufFormatException()
    {
        byte[] bytes = RawGgufBuilder.Sample().Build();
        using (GgufFile.Parse(bytes)) { }
        for (int len = 0; len < bytes.Length; len++)
        {
            var e = Fails(bytes.AsSpan(0, len).ToArray());
            Assert.InRange(e.Offset, 0, len);
            if (len % 40 == 0)
                output.WriteLine($"{len,4}: {e.Message}");
        }
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void GgufFile_truncated_with_every_value_type_throws_only_GgufFormatException(uint version)
    {
        var w = new RawGgufBuilder { Version = version };
        int i = 0;
        foreach (GgufValueType t in Enum.GetValues<GgufValueType>())
        {
            object v = t switch
            {
                GgufValueType.Bool => true,
                GgufValueType.String => "str",
                GgufValueType.Array => new GArr(GgufValueType.Array, new GArr(GgufValueType.String, "x"), new GArr(GgufValueType.UInt16, (ushort)3)),
                _ => 1,
            };
            w.Add($"k{i++}", t, v);
        }
        w.AddTensor("t", GgmlType.F16, [2], RawGgufBuilder.F16Bytes([1, 2]));
        byte[] bytes = w.Build();
        using (GgufFile.Parse(bytes)) { }
        for (int len = 0; len < bytes.Length; len++)
            Fails(bytes.AsSpan(0, len).ToArray());
    }

    [Fact]
    public void GgufFile_with_a_wrong_magic_shows_the_bytes()
    {
        byte[] bytes = RawGgufBuilder.Sample().Build();
        bytes[0] = (byte)'G'; bytes[1] = (byte)'G'; bytes[2] = (byte)'M'; bytes[3] = (byte)'L';
        var e = Fails(bytes);
        Assert.Contains("magic", e.Message);
        Assert.Contains("47 47 4D 4C", e.Message);
        Assert.Contains("GGML", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0x03000000u)]
    public void GgufFile_rejects_an_unsupported_version(uint version)
    {
        var e = Fails(new RawGgufBuilder { Version = version }.Build());
        Assert.Contains($"version {version}", e.Message);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void GgufFile_with_absurd_counts_fails_fast_without_large_allocations()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();

        var e1 = Fails(Raw(3, 1UL << 63, 0, padTo: 256));
        Assert.Contains("tensor count", e1.Message);
        Assert.Equal(8, e1.Offset);

        var e2 = Fails(Raw(3, 0, 1UL << 40, padTo: 256));
        Assert.Contains("key-value count", e2.Message);
        Assert.Equal(16, e2.Offset);

        var e3 = Fails(Raw(3, 0, 1, w => { w.Write(1UL << 62); w.Write(new byte[64]); }));
        Assert.Contains("length", e3.Message);
        Assert.Equal(24, e3.Offset);

        var e4 = Fails(Raw(3, 0, 1, w =>
        {
            RawGgufBuilder.WriteString(w, "arr");
            w.Write((uint)GgufValueType.Array);
            w.Write((uint)GgufValueType.UInt32);
            w.Write(1UL << 60);
            w.Write(new byte[64]);
        }));
        Assert.Contains("array length", e4.Message);
        Assert.Contains("'arr'", e4.Message);

        // Array of strings and of arrays: the bound uses their minimum element size.
        Fails(Raw(3, 0, 1, w =>
        {
            RawGgufBuilder.WriteString(w, "arr");
            w.Write((uint)GgufValueType.Array);
            w.Write((uint)GgufValueType.String);
            w.Write(1UL << 59);
        }, padTo: 1024));
        // A string length above long.MaxValue.
        Fails(Raw(3, 0, 1, w => w.Write(ulong.MaxValue), padTo: 64));

        sw.Stop();
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "absurd counts must not allocate");
        Assert.True(sw.ElapsedMilliseconds < 2000, $"took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void GgufFile_rejects_an_unknown_value_type()
    {
        var e = Fails(Raw(3, 0, 1, w => { RawGgufBuilder.WriteString(w, "k"); w.Write(13u); w.Write(0u); }));
        Assert.Contains("unknown value type 13", e.Message);
        Assert.Contains("'k'", e.Message);
        Assert.Equal(24 + 8 + 1, e.Offset);

        var e2 = Fails(Raw(3, 0, 1, w =>
        {
            RawGgufBuilder.WriteString(w, "k");
            w.Write((uint)GgufValueType.Array);
            w.Write(99u);
            w.Write(0UL);
        }));
        Assert.Contains("unknown array element type 99", e2.Message);
    }

    [Fact]
    public void GgufFile_rejects_a_bool_other_than_0_or_1()
    {
        var e = Fails(Raw(3, 0, 1, w => { RawGgufBuilder.WriteString(w, "b"); w.Write((uint)GgufValueType.Bool); w.Write((byte)2); }));
        Assert.Contains("0 or 1", e.Message);
    }

    [Fact]
    public void GgufFile_rejects_invalid_UTF_8()
    {
        var e = Fails(Raw(3, 0, 1, w => { w.Write(2UL); w.Write((byte)0xC3); w.Write((byte)0x28); w.Write((uint)GgufValueType.UInt8); w.Write((byte)0); }));
        Assert.Contains("UTF-8", e.Message);
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(31u)]
    [InlineData(1000u)]
    public void GgufFile_rejects_an_unknown_GgmlType_naming_the_type_and_the_tensor(uint typeId)
    {
        var e = Fails(new RawGgufBuilder().AddTensor("blk.3.ffn_up.weight", (GgmlType)typeId, [4], new byte[16]).Build());
        Assert.Contains($"type id {typeId}", e.Message);
        Assert.Contains("blk.3.ffn_up.weight", e.Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(48u)]
    [InlineData(0x80000000u)]
    public void GgufFile_rejects_a_bad_alignment(uint alignment)
    {
        var w = new RawGgufBuilder { LayoutAlignment = 32 }.Add("general.alignment", GgufValueType.UInt32, alignment);
        var e = Fails(w.Build());
        Assert.Contains("general.alignment", e.Message);
        Assert.Contains(alignment.ToString(), e.Message);
    }

    [Fact]
    public void GgufFile_rejects_an_alignment_of_the_wrong_type()
    {
        var e = Fails(new RawGgufBuilder { LayoutAlignment = 32 }.Add("general.alignment", GgufValueType.UInt64, 32UL).Build());
        Assert.Contains("UINT32", e.Message);
    }

    [Fact]
    public void GgufFile_rejects_an_unaligned_tensor_offset()
    {
        var w = new RawGgufBuilder()
            .AddTensor("a", GgmlType.F32, [8], new byte[32])
            .AddTensor("b", GgmlType.F32, [1], new byte[4], offsetOverride: 36);
        var e = Fails(w.Build());
        Assert.Contains("tensor 'b' has data offset 36, not a multiple of the alignment 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GgufFile_rejects_tensor_data_past_the_end_of_the_file()
    {
        var e = Fails(new RawGgufBuilder().AddTensor("far", GgmlType.F32, [4], new byte[16], offsetOverride: 1UL << 20).Build());
        Assert.Contains("'far'", e.Message);
        Assert.Contains("past the end", e.Message);
        Fails(new RawGgufBuilder().AddTensor("huge", GgmlType.F32, [4], new byte[16], offsetOverride: ulong.MaxValue - 31).Build());
        // Dimensions claiming more data than is there.
        Fails(new RawGgufBuilder().AddTensor("big", GgmlType.F32, [1000], new byte[16]).Build());
    }

    [Fact]
    public void GgufFile_rejects_dimensions_whose_product_overflows()
    {
        var e = Fails(new RawGgufBuilder().AddTensor("x", GgmlType.F32, [1L << 40, 1L << 40], new byte[16]).Build());
        Assert.Contains("overflow", e.Message);
        Assert.Contains("'x'", e.Message);
        // Elements fit, bytes do not.
        var e2 = Fails(new RawGgufBuilder().AddTensor("y", GgmlType.F32, [1L << 62], new byte[16]).Build());
        Assert.Contains("overflow", e2.Message);
        // A dimension above 2^63-1.
        var e3 = Fails(new RawGgufBuilder().AddTensor("z", GgmlType.F32, [-1], new byte[16]).Build());
        Assert.Contains("dimension 0", e3.Message);
    }

    [Fact]
    public void GgufFile_rejects_too_many_dimensions()
    {
        var e = Fails(new RawGgufBuilder().AddTensor("x", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]).Build());
        Assert.Contains("5 dimensions", e.Message);
    }

    [Fact]
    public void GgufFile_rejects_a_row_that_is_not_a_multiple_of_the_block()
    {
        var e = Fails(new RawGgufBuilder().AddTensor("q", GgmlType.Q8_0, [33], new byte[68]).Build());
        Assert.Contains("block size 32", e.Message);
    }

    [Fact]
    public void GgufFile_rejects_a_duplicate_key_or_tensor_name()
    {
        var e = Fails(new RawGgufBuilder().Add("k", GgufValueType.UInt8, 1).Add("k", GgufValueType.UInt8, 2).Build());
        Assert.Contains("duplicate metadata key 'k'", e.Message);
        var e2 = Fails(new RawGgufBuilder().AddTensor("t", GgmlType.F32, [1], new byte[4]).AddTensor("t", GgmlType.F32, [1], new byte[4]).Build());
        Assert.Contains("duplicate tensor name 't'", e2.Message);
    }

    [Fact]
    public void GgufFile_bounds_the_nesting_of_arrays()
    {
        static GArr Nest(int depth) => depth == 1
            ? new GArr(GgufValueType.UInt8, (byte)1)
            : new GArr(GgufValueType.Array, Nest(depth - 1));

        using (var ok = GgufFile.Parse(new RawGgufBuilder().Add("deep", GgufValueType.Array, Nest(8)).Build()))
            Assert.True(ok.GetValue("deep").IsArray);
        var e = Fails(new RawGgufBuilder().Add("deep", GgufValueType.Array, Nest(9)).Build());
        Assert.Contains("nest deeper than 8", e.Message);

        // A long chain of nested empty-ish arrays claimed by bytes alone stops at the bound, not the stack.
        Fails(Raw(3, 0, 1, w =>
        {
            RawGgufBuilder.WriteString(w, "chain");
            w.Write((uint)GgufValueType.Array);
            for (int i = 0; i < 100_000; i++)
            {
                w.Write((uint)GgufValueType.Array);
                w.Write(1UL);
            }
        }));
    }

    /// <summary>A file with every value type, bool and nested arrays, a custom alignment and four tensor types.</summary>
    private static byte[] Rich() => new RawGgufBuilder { Version = 2 }
        .Add("general.alignment", GgufValueType.UInt32, 16u)
        .Add("u8", GgufValueType.UInt8, 1).Add("i8", GgufValueType.Int8, -1).Add("u16", GgufValueType.UInt16, 2)
        .Add("i16", GgufValueType.Int16, -2).Add("i32", GgufValueType.Int32, -3).Add("f32", GgufValueType.Float32, 1.5f)
        .Add("b", GgufValueType.Bool, false).Add("s", GgufValueType.String, "ß").Add("u64", GgufValueType.UInt64, 9UL)
        .Add("i64", GgufValueType.Int64, -9L).Add("f64", GgufValueType.Float64, 2.5)
        .AddArray("bools", GgufValueType.Bool, true, false)
        .AddArray("scores", GgufValueType.Float32, 0.1f, 0.2f, 0.3f)
        .AddArray("nested", GgufValueType.Array, new GArr(GgufValueType.Array, new GArr(GgufValueType.String, "deep")), new GArr(GgufValueType.Int64, 5L))
        .AddTensor("a", GgmlType.F32, [2, 2], RawGgufBuilder.F32Bytes([1, 2, 3, 4]))
        .AddTensor("b", GgmlType.F16, [3], RawGgufBuilder.F16Bytes([1, 2, 3]))
        .AddTensor("c", GgmlType.BF16, [2], RawGgufBuilder.BF16Bytes([1, 2]))
        .AddTensor("d", GgmlType.Q8_0, [32], RawGgufBuilder.Q8_0Bytes(RawGgufBuilder.Ramp(32)))
        .Build();

    [Fact]
    public void GgufFile_truncated_rich_file_throws_only_GgufFormatException()
    {
        byte[] bytes = Rich();
        using (GgufFile.Parse(bytes)) { }
        for (int len = 0; len < bytes.Length; len++)
            Fails(bytes.AsSpan(0, len).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GgufFile_with_random_byte_flips_throws_only_GgufFormatException(bool rich)
    {
        byte[] valid = rich ? Rich() : RawGgufBuilder.Sample().Build();
        // GQAGEN_GGUF_FUZZ_ITERATIONS / _SEED run a longer or different campaign by hand; the default is fixed.
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("GQAGEN_GGUF_FUZZ_ITERATIONS"), out int it) ? it : 3000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("GQAGEN_GGUF_FUZZ_SEED"), out int sd) ? sd : 42;
        var rng = new Random(seed);
        var sw = Stopwatch.StartNew();
        int ok = 0, failed = 0;
        for (int iter = 0; iter < iterations; iter++)
        {
            byte[] bytes = (byte[])valid.Clone();
            int flips = rng.Next(1, 5);
            for (int k = 0; k < flips; k++)
            {
                int at = rng.Next(bytes.Length);
                // Half the time a single bit, otherwise a random byte: bit flips reach the near-valid cases,
                // random bytes the absurd lengths and counts.
                bytes[at] = rng.Next(2) == 0 ? (byte)(bytes[at] ^ (1 << rng.Next(8))) : (byte)rng.Next(256);
            }
            try
            {
                using var f = GgufFile.Parse(bytes);
                foreach (var t in f.Tensors)
                    _ = f.TensorData(t).Length;
                ok++;
            }
            catch (GgufFormatException)
            {
                failed++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iter}: {e.GetType().Name} escaped: {e}");
            }
        }
        output.WriteLine($"{iterations} mutations (seed {seed}) of a {valid.Length}-byte file: {ok} parsed, {failed} rejected, in {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20.0 * Math.Max(1, iterations / 3000)), $"fuzz took {sw.Elapsed}");
        Assert.True(failed > 0 && ok > 0, $"ok {ok}, failed {failed}");
    }
}
