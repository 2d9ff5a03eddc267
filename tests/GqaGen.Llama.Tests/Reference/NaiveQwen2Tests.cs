using GqaGen.Llama.Tests.Decoder;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Reference;

/// <summary>The oracle's qwen2 additions checked on their own: NeoX RoPE against hand-worked values and against
/// interleaved RoPE on permuted elements, and the biases read from the file.</summary>
public sealed class NaiveQwen2Tests
{
    [Fact]
    public void RopeNeoX_rotates_element_i_with_element_i_plus_half()
    {
        // One head of 6 at offset 1, 4 rotary dimensions, position 3, base 100: pair 0 = (x0, x2) turns by 3,
        // pair 1 = (x1, x3) by 3 · 100^(-2/4) = 0.3; elements 4 and 5 of the head are past n_rot and stay.
        double[] v = [9, 1, 3, 2, 4, 5, 6];
        NaiveLlama.RopeNeoX(v, offset: 1, rotaryDimensions: 4, position: 3, freqBase: 100);
        Assert.Equal(9.0, v[0]);
        Assert.Equal(1 * Math.Cos(3) - 2 * Math.Sin(3), v[1], 14);
        Assert.Equal(1 * Math.Sin(3) + 2 * Math.Cos(3), v[3], 14);
        Assert.Equal(3 * Math.Cos(0.3) - 4 * Math.Sin(0.3), v[2], 14);
        Assert.Equal(3 * Math.Sin(0.3) + 4 * Math.Cos(0.3), v[4], 14);
        Assert.Equal([5.0, 6.0], v[5..]);
    }

    [Fact]
    public void RopeNeoX_is_interleaved_rope_on_the_halves_interleaved()
    {
        // The GGUF converter's permutation for llama turns rotate-half rows into adjacent pairs: x[i] → 2i,
        // x[i + half] → 2i + 1. Rotating that way and permuting back must equal NeoX on the original.
        var random = new Random(Environment.TickCount);
        const int dims = 16, half = dims / 2;
        double[] x = [.. Enumerable.Range(0, dims).Select(_ => random.NextDouble() * 2 - 1)];
        int position = random.Next(1, 5000);

        double[] neoX = (double[])x.Clone();
        NaiveLlama.RopeNeoX(neoX, 0, dims, position, 1000000);
        double[] interleaved = new double[dims];
        for (int i = 0; i < half; i++)
            (interleaved[2 * i], interleaved[2 * i + 1]) = (x[i], x[i + half]);
        NaiveLlama.Rope(interleaved, 0, dims, position, 1000000);
        for (int i = 0; i < half; i++)
        {
            Assert.Equal(interleaved[2 * i], neoX[i], 12);
            Assert.Equal(interleaved[2 * i + 1], neoX[i + half], 12);
        }
    }

    [Fact]
    public void Qwen2_config_and_weights_carry_neox_rope_and_the_biases()
    {
        var spec = Qwen2Models.Gqa;
        using var file = TestModels.Open(spec);
        var config = NaiveLlamaConfig.Read(file);
        Assert.Equal("qwen2", config.Architecture);
        Assert.True(config.NeoXRope);
        var weights = NaiveLlamaWeights.Read(file, config);
        Assert.All(weights.Layers, layer =>
        {
            Assert.Equal(spec.QueryLength, layer.QueryBias!.Length);
            Assert.Equal(spec.KvLength, layer.KeyBias!.Length);
            Assert.Equal(spec.KvLength, layer.ValueBias!.Length);
            Assert.Contains(layer.QueryBias, b => b != 0);
        });

        using var llamaFile = TestModels.Open(TestModels.Gqa);
        var llama = NaiveLlamaConfig.Read(llamaFile);
        Assert.False(llama.NeoXRope);
        Assert.All(NaiveLlamaWeights.Read(llamaFile, llama).Layers, layer => Assert.Null(layer.QueryBias));
    }
}
