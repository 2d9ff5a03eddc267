using RuntimeWriter = GqaGen.Gguf.GgufWriter;

namespace GqaGen.Gguf.Tests;

/// <summary>The runtime's GGUF writer (used by the synthetic models) round-trips through the reader.</summary>
public sealed class RuntimeWriterTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(4096)]
    public void GgufWriter_round_trips_metadata_and_tensors(int alignment)
    {
        var random = new Random(alignment);
        byte[] f32 = new byte[3 * 5 * 4];
        random.NextBytes(f32);
        byte[] q8 = new byte[2 * 34];
        random.NextBytes(q8);
        byte[] f16 = new byte[7 * 2];
        random.NextBytes(f16);

        var writer = new RuntimeWriter { Alignment = alignment }
            .AddString("general.architecture", "llama")
            .AddUInt32("llama.block_count", 22)
            .AddInt32("negative", -5)
            .AddUInt64("big", ulong.MaxValue)
            .AddFloat32("llama.rope.freq_base", 10000.5f)
            .AddBool("flag", true)
            .AddStringArray("tokenizer.ggml.tokens", ["a", "", "日本語", "▁the"])
            .AddFloat32Array("tokenizer.ggml.scores", [0.5f, -1f, float.MinValue, 3f])
            .AddInt32Array("tokenizer.ggml.token_type", [1, 3, 6, 1])
            .AddTensor("f32", GgmlType.F32, [5, 3], f32)
            .AddTensor("q8", GgmlType.Q8_0, [64], s => s.Write(q8))
            .AddTensor("f16", GgmlType.F16, [7], f16);

        using GgufFile file = GgufFile.Parse(writer.ToArray());

        Assert.Equal(3, file.Version);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(22u, file.GetUInt32("llama.block_count"));
        Assert.Equal(-5, file.GetInt32("negative"));
        Assert.Equal(ulong.MaxValue, file.GetUInt64("big"));
        Assert.Equal(10000.5f, file.GetFloat32("llama.rope.freq_base"));
        Assert.True(file.GetBool("flag"));
        Assert.Equal(["a", "", "日本語", "▁the"], file.GetArray<string>("tokenizer.ggml.tokens"));
        Assert.Equal([0.5f, -1f, float.MinValue, 3f], file.GetArray<float>("tokenizer.ggml.scores"));
        Assert.Equal([1, 3, 6, 1], file.GetArray<int>("tokenizer.ggml.token_type"));
        Assert.Equal(f32, file.TensorData("f32").ToArray());
        Assert.Equal(q8, file.TensorData("q8").ToArray());
        Assert.Equal(f16, file.TensorData("f16").ToArray());
        Assert.Equal([5L, 3L], file.GetTensor("f32").Dimensions);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.DataOffset % alignment));
    }

    [Fact]
    public void GgufWriter_streams_to_a_non_seekable_stream()
    {
        byte[] data = new byte[40];
        new Random(1).NextBytes(data);
        var writer = new RuntimeWriter().AddString("k", "v").AddTensor("t", GgmlType.F32, [10], data);
        using var sink = new NonSeekableStream();
        writer.WriteTo(sink);
        Assert.Equal(writer.ToArray(), sink.Inner.ToArray());
    }

    [Fact]
    public void GgufWriter_throws_when_a_callback_writes_the_wrong_size()
    {
        var writer = new RuntimeWriter().AddTensor("t", GgmlType.F32, [10], s => s.Write(new byte[39]));
        var e = Assert.Throws<InvalidOperationException>(() => writer.ToArray());
        Assert.Contains("tensor 't' wrote 39 bytes; its type and shape need 40", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GgufWriter_rejects_bad_input_naming_the_value()
    {
        var writer = new RuntimeWriter().AddString("k", "v").AddTensor("t", GgmlType.F32, [1], new byte[4]);
        Assert.Contains("'k'", Assert.Throws<ArgumentException>(() => writer.AddUInt32("k", 1)).Message);
        Assert.Contains("'t'", Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.F32, [1], new byte[4])).Message);
        Assert.Contains("multiple of 32", Assert.Throws<ArgumentException>(() => writer.AddTensor("q", GgmlType.Q8_0, [40], new byte[34])).Message);
        Assert.Contains("needs 8 bytes, got 4", Assert.Throws<ArgumentException>(() => writer.AddTensor("x", GgmlType.F32, [2], new byte[4])).Message);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("z", GgmlType.F32, [0], new byte[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Alignment = 48);
    }

    [Fact]
    public void GgufWriter_refuses_a_general_alignment_key_so_offsets_always_match_its_Alignment()
    {
        var writer = new RuntimeWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.AddUInt32("general.alignment", 64));
        Assert.Contains("Alignment", e.Message, StringComparison.Ordinal);

        writer.Alignment = 64;
        writer.AddTensor("t", GgmlType.F32, [3], new byte[12]).AddTensor("u", GgmlType.F32, [1], new byte[4]);
        using GgufFile file = GgufFile.Parse(writer.ToArray());
        Assert.Equal(64, file.Alignment);
        Assert.All(file.Tensors, t => Assert.Equal(0, t.DataOffset % 64));
    }

    private sealed class NonSeekableStream : Stream
    {
        public MemoryStream Inner { get; } = new();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
    }
}
