using GqaGen.Llama.Tests.Reference;
using GqaGen.Synthetic.Tests.Support;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Synthetic.Tests;

/// <summary>The GGUF files <see cref="SyntheticLlama"/> writes: llama.cpp's keys and tensor names, shapes and types,
/// reproducible random weights of the intended size.</summary>
public sealed class SyntheticLlamaFileTests
{
    [Fact]
    public void Metadata_has_llama_cpp_keys_with_spec_values()
    {
        var spec = Specs.LlamaTied;
        using var file = Specs.Open(spec);
        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.False(string.IsNullOrEmpty(file.GetString("general.name")));
        Assert.Equal((uint)spec.ContextLength, file.GetUInt32("llama.context_length"));
        Assert.Equal(64u, file.GetUInt32("llama.embedding_length"));
        Assert.Equal(2u, file.GetUInt32("llama.block_count"));
        Assert.Equal(96u, file.GetUInt32("llama.feed_forward_length"));
        Assert.Equal(4u, file.GetUInt32("llama.attention.head_count"));
        Assert.Equal(2u, file.GetUInt32("llama.attention.head_count_kv"));
        Assert.Equal(1e-6f, file.GetFloat32("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal(500000f, file.GetFloat32("llama.rope.freq_base"));
        Assert.Equal(16u, file.GetUInt32("llama.rope.dimension_count"));
        Assert.Equal(16u, file.GetUInt32("llama.attention.key_length"));
        Assert.Equal(16u, file.GetUInt32("llama.attention.value_length"));
        Assert.Equal((uint)spec.VocabularySize, file.GetUInt32("llama.vocab_size"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tensors_have_llama_cpp_names_shapes_and_types(bool tied)
    {
        var spec = Specs.GqaAs(GgmlType.BF16) with { TiedOutput = tied };
        using var file = GgufFile.Parse(SyntheticLlama.Create(spec));
        int embd = 64, vocab = spec.VocabularySize, q = 4 * 16, kv = 2 * 16, ffn = 96;
        var expected = new Dictionary<string, (GgmlType, long[])>
        {
            ["token_embd.weight"] = (GgmlType.BF16, [embd, vocab]),
            ["output_norm.weight"] = (GgmlType.F32, [embd]),
        };
        if (!tied)
            expected["output.weight"] = (GgmlType.BF16, [embd, vocab]);
        for (int l = 0; l < 2; l++)
        {
            expected[$"blk.{l}.attn_norm.weight"] = (GgmlType.F32, [embd]);
            expected[$"blk.{l}.attn_q.weight"] = (GgmlType.BF16, [embd, q]);
            expected[$"blk.{l}.attn_k.weight"] = (GgmlType.BF16, [embd, kv]);
            expected[$"blk.{l}.attn_v.weight"] = (GgmlType.BF16, [embd, kv]);
            expected[$"blk.{l}.attn_output.weight"] = (GgmlType.BF16, [q, embd]);
            expected[$"blk.{l}.ffn_norm.weight"] = (GgmlType.F32, [embd]);
            expected[$"blk.{l}.ffn_gate.weight"] = (GgmlType.BF16, [embd, ffn]);
            expected[$"blk.{l}.ffn_up.weight"] = (GgmlType.BF16, [embd, ffn]);
            expected[$"blk.{l}.ffn_down.weight"] = (GgmlType.BF16, [ffn, embd]);
        }
        Assert.Equal(expected.Keys.Order(), file.Tensors.Select(t => t.Name).Order());
        foreach (var tensor in file.Tensors)
        {
            var (type, dims) = expected[tensor.Name];
            Assert.Equal(type, tensor.Type);
            Assert.Equal(dims, tensor.Dimensions);
        }
    }

    [Fact]
    public void Same_spec_gives_same_bytes_and_Write_matches_Create()
    {
        var spec = Specs.Mqa with { WeightType = GgmlType.Q8_0 };
        byte[] first = SyntheticLlama.Create(spec);
        Assert.Equal(first, SyntheticLlama.Create(spec));
        using var stream = new NonSeekableStream();
        SyntheticLlama.Write(spec, stream);
        Assert.Equal(first, stream.ToArray());
    }

    [Fact]
    public void Different_seeds_give_different_weights()
    {
        using var a = Specs.Open(Specs.Gqa);
        using var b = GgufFile.Parse(SyntheticLlama.Create(Specs.Gqa with { Seed = 99 }));
        foreach (var tensor in a.Tensors)
            Assert.False(a.TensorData(tensor).SequenceEqual(b.TensorData(b.GetTensor(tensor.Name))), tensor.Name);
    }

    [Fact]
    public void Weights_have_the_intended_spread()
    {
        using var file = Specs.Open(Specs.Gqa);
        foreach (var tensor in file.Tensors)
        {
            double[] values = ReferenceDequantizer.Dequantize(file, tensor);
            double mean = values.Average();
            double std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            if (tensor.Dimensions.Length == 1)
            {
                // Norm weights: 1 ± 0.1, uniform.
                Assert.All(values, v => Assert.InRange(v, 0.9, 1.1));
                Assert.InRange(std, 0.04, 0.075); // 0.1/√3 ≈ 0.058
                continue;
            }
            long columns = tensor.Dimensions[0];
            double gain = tensor.Name switch
            {
                "token_embd.weight" or "output.weight" => SyntheticLlama.OutputGain,
                _ when tensor.Name.EndsWith("attn_q.weight", StringComparison.Ordinal) || tensor.Name.EndsWith("attn_k.weight", StringComparison.Ordinal) => SyntheticLlama.QueryKeyGain,
                _ => 1.0,
            };
            double expectedStd = gain / Math.Sqrt(columns);
            Assert.InRange(Math.Abs(mean), 0, 0.1 * expectedStd + 3 * expectedStd / Math.Sqrt(values.Length));
            Assert.InRange(std / expectedStd, 0.9, 1.1);
        }
    }

    [Theory]
    [InlineData(GgmlType.F16, 1.0 / 2048)]
    [InlineData(GgmlType.BF16, 1.0 / 256)]
    [InlineData(GgmlType.Q8_0, 0.0)]
    public void Other_types_encode_the_same_underlying_weights_as_F32(GgmlType type, double relativeBound)
    {
        using var f32 = Specs.Open(Specs.Gqa);
        using var other = Specs.Open(Specs.GqaAs(type));
        foreach (var tensor in f32.Tensors)
        {
            var otherTensor = other.GetTensor(tensor.Name);
            double[] exact = ReferenceDequantizer.Dequantize(f32, tensor);
            double[] encoded = ReferenceDequantizer.Dequantize(other, otherTensor);
            if (tensor.Dimensions.Length == 1)
            {
                Assert.Equal(GgmlType.F32, otherTensor.Type);
                Assert.Equal(exact, encoded);
                continue;
            }
            Assert.Equal(type, otherTensor.Type);
            for (int block = 0; block < exact.Length / 32; block++)
            {
                double maxAbs = 0;
                for (int i = 0; i < 32; i++)
                    maxAbs = Math.Max(maxAbs, Math.Abs(exact[block * 32 + i]));
                for (int i = 0; i < 32; i++)
                {
                    int at = block * 32 + i;
                    // Float types: half an ulp of the value (plus F16's subnormal step); Q8_0: half a step of its block, plus the half-precision scale's rounding.
                    double bound = type == GgmlType.Q8_0
                        ? maxAbs / 127 * (0.5 + 127.0 / 2048) + 1e-9
                        : relativeBound * Math.Abs(exact[at]) + Math.Pow(2, -25);
                    Assert.True(Math.Abs(encoded[at] - exact[at]) <= bound, $"{tensor.Name}[{at}]: {type} {encoded[at]} vs F32 {exact[at]}");
                }
            }
        }
    }

    [Fact]
    public void Progress_rises_to_one()
    {
        var reports = new List<double>();
        using var stream = new MemoryStream();
        SyntheticLlama.Write(Specs.Gqa, stream, new SynchronousProgress(reports.Add));
        Assert.True(reports.Count > 10, $"only {reports.Count} reports");
        Assert.Equal(0.0, reports[0]);
        Assert.Equal(1.0, reports[^1]);
        for (int i = 1; i < reports.Count; i++)
            Assert.True(reports[i] >= reports[i - 1], $"progress fell from {reports[i - 1]} to {reports[i]}");
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentNullException>(() => SyntheticLlama.Create(null!));
        Assert.Throws<ArgumentNullException>(() => SyntheticLlama.Write(Specs.Gqa, null!));
        using var readOnly = new MemoryStream([], writable: false);
        Assert.Throws<ArgumentException>(() => SyntheticLlama.Write(Specs.Gqa, readOnly));
    }

    [Fact]
    public void Create_refuses_models_larger_than_an_array_and_points_to_Write()
    {
        // 1.1 billion F32 weights are 4.4 GB; the check runs before anything is generated.
        var e = Assert.Throws<ArgumentException>(() => SyntheticLlama.Create(SyntheticLlamaSpec.TinyLlamaShaped(GgmlType.F32)));
        Assert.Contains("SyntheticLlama.Write", e.Message);
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }

    /// <summary>A memory stream that says it cannot seek, as a pipe or network stream would.</summary>
    private sealed class NonSeekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
