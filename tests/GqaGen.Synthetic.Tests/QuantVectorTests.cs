using GqaGen.Gguf;
using GqaGen.Synthetic.Quantizers;
using GqaGen.Synthetic.Tests.Support;

namespace GqaGen.Synthetic.Tests;

/// <summary>
/// The reference quantizers and dequantizers against vectors made by llama.cpp itself (Data/quant-vectors: blocks by
/// <c>llama-quantize --pure</c>, floats by gguf-py's dequantizer, at llama.cpp c392e5094): bytes and floats must match
/// bit for bit.
/// </summary>
public sealed class QuantVectorTests
{
    [Theory]
    [MemberData(nameof(QuantVectors.Types), MemberType = typeof(QuantVectors))]
    public void Quantizer_reproduces_llama_quantize_bytes(GgmlType type)
    {
        var vectors = QuantVectors.Load(type);
        var bytes = new byte[vectors.Blocks.Length];
        GgmlQuantization.Quantize(type, vectors.Input, bytes);
        int blockBytes = GgmlQuantization.BlockBytes(type);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != vectors.Blocks[i])
                Assert.Fail($"{type}: byte {i} (block {i / blockBytes}, offset {i % blockBytes}) is 0x{bytes[i]:X2}; llama-quantize wrote 0x{vectors.Blocks[i]:X2}.");
        }
    }

    [Theory]
    [MemberData(nameof(QuantVectors.Types), MemberType = typeof(QuantVectors))]
    public void Dequantizer_reproduces_gguf_py_floats(GgmlType type)
    {
        var vectors = QuantVectors.Load(type);
        var floats = new float[vectors.Dequantized.Length];
        GgmlQuantization.Dequantize(type, vectors.Blocks, floats);
        for (int i = 0; i < floats.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(floats[i]) != BitConverter.SingleToInt32Bits(vectors.Dequantized[i]))
                Assert.Fail($"{type}: element {i} is {floats[i]:R}; gguf-py gives {vectors.Dequantized[i]:R}.");
        }
    }

    [Theory]
    [MemberData(nameof(QuantVectors.Types), MemberType = typeof(QuantVectors))]
    public void WeightEncoder_writes_the_same_bytes(GgmlType type)
    {
        var vectors = QuantVectors.Load(type);
        Assert.True(WeightEncoder.IsSupported(type));
        Assert.Equal(vectors.Blocks.Length, WeightEncoder.ByteCount(type, vectors.Input.Length));
        var bytes = new byte[vectors.Blocks.Length];
        WeightEncoder.Encode(type, vectors.Input, bytes);
        Assert.Equal(vectors.Blocks, bytes);
    }
}
