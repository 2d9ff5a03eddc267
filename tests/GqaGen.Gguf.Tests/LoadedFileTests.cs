using GqaGen.Gguf;

namespace GqaGen.Gguf.Tests;

/// <summary><see cref="GgufTensorMemory.Loaded"/>: the file read into memory of its own gives the same metadata and
/// tensor bytes as the mapped file, reports its progress, can be cancelled, and frees its memory on Dispose.</summary>
public sealed class LoadedFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"gqagen-loaded-{Guid.NewGuid():N}.gguf");
    private readonly byte[] _bytes;

    public LoadedFileTests()
    {
        // A tensor of random bytes larger than one 16 MiB read chunk, so that progress has several steps.
        var random = new Random(1234);
        var data = new byte[40 * 1024 * 1024 + 96];
        random.NextBytes(data);
        _bytes = new RawGgufBuilder()
            .Add("general.architecture", GgufValueType.String, "llama")
            .AddTensor("big", GgmlType.I8, [data.Length], data)
            .Build();
        File.WriteAllBytes(_path, _bytes);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Loaded_file_holds_the_same_bytes_as_the_mapped_one_and_reports_progress()
    {
        var reports = new List<GgufLoadProgress>();
        using var mapped = GgufFile.Open(_path);
        using var loaded = GgufFile.Open(_path, new GgufOpenOptions { TensorMemory = GgufTensorMemory.Loaded, Progress = new ListProgress(reports) });

        Assert.Equal(GgufTensorMemory.Mapped, mapped.TensorMemory);
        Assert.Equal(GgufTensorMemory.Loaded, loaded.TensorMemory);
        Assert.False(loaded.IsMemoryMapped);
        Assert.Equal(mapped.Length, loaded.Length);
        Assert.Equal(mapped.GetString("general.architecture"), loaded.GetString("general.architecture"));
        GgufTensorInfo tensor = loaded.GetTensor("big");
        Assert.True(mapped.TensorData("big").SequenceEqual(loaded.TensorData(tensor)));
        unsafe
        {
            // The pointer the weight kernels use sees the same bytes, and it is 32-byte aligned as the format requires.
            byte* pointer = loaded.TensorPointer(tensor);
            Assert.Equal(0, (long)pointer % 32);
            Assert.True(new ReadOnlySpan<byte>(pointer, (int)tensor.ByteSize).SequenceEqual(mapped.TensorData("big")));
        }

        Assert.True(reports.Count >= 3, $"expected a report per 16 MiB chunk of {_bytes.Length} bytes; got {reports.Count}");
        Assert.All(reports, r => Assert.Equal(_bytes.LongLength, r.TotalBytes));
        for (int i = 1; i < reports.Count; i++)
            Assert.True(reports[i].BytesRead > reports[i - 1].BytesRead, "progress must only grow");
        Assert.Equal(_bytes.LongLength, reports[^1].BytesRead);
        Assert.Equal(1.0, reports[^1].Fraction);

        if (OperatingSystem.IsLinux())
            Assert.NotNull(loaded.HugePageBytes()); // smaps is readable; how much is huge depends on the kernel's policy
        loaded.Dispose();
        Assert.Null(loaded.HugePageBytes());
        Assert.Throws<ObjectDisposedException>(() => loaded.TensorData(tensor));
        Assert.Equal("llama", loaded.GetString("general.architecture")); // metadata outlives the memory
    }

    [Fact]
    public void Cancelled_load_throws_and_leaves_nothing_open()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new ListProgress([], afterReport: cancel.Cancel);
        Assert.Throws<OperationCanceledException>(() =>
            GgufFile.Open(_path, new GgufOpenOptions { TensorMemory = GgufTensorMemory.Loaded, Progress = progress }, cancel.Token));
        File.Delete(_path); // no handle was left open (on Windows this would fail otherwise)
    }

    [Fact]
    public void Loaded_file_that_is_not_gguf_is_a_format_error()
    {
        File.WriteAllBytes(_path, new byte[100]);
        Assert.Throws<GgufFormatException>(() => GgufFile.Open(_path, new GgufOpenOptions { TensorMemory = GgufTensorMemory.Loaded }));
        File.WriteAllBytes(_path, []);
        Assert.Throws<GgufFormatException>(() => GgufFile.Open(_path, new GgufOpenOptions { TensorMemory = GgufTensorMemory.Loaded }));
    }

    [Fact]
    public void Only_mapped_or_loaded_can_be_asked_for()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufOpenOptions { TensorMemory = GgufTensorMemory.CallerMemory });
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufOpenOptions { TensorMemory = (GgufTensorMemory)7 });
        using var parsed = GgufFile.Parse(_bytes);
        Assert.Equal(GgufTensorMemory.CallerMemory, parsed.TensorMemory);
        Assert.Null(parsed.HugePageBytes());
    }

    /// <summary>Collects reports synchronously, on the loading thread.</summary>
    private sealed class ListProgress(List<GgufLoadProgress> reports, Action? afterReport = null) : IProgress<GgufLoadProgress>
    {
        public void Report(GgufLoadProgress value)
        {
            reports.Add(value);
            afterReport?.Invoke();
        }
    }
}
