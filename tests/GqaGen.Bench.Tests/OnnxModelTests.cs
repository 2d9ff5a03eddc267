using GqaGen.Bench.Peers;

namespace GqaGen.Bench.Tests;

/// <summary>The hand-written protobuf encoding the in-code ONNX model is built with.</summary>
public sealed class OnnxModelTests
{
    /// <summary>Byte for byte as the protobuf encoding guide writes them (its "150" example, a negative int64, a float, a string).</summary>
    [Fact]
    public void WritesTheProtobufWireFormat()
    {
        Assert.Equal(new byte[] { 0x08, 0x96, 0x01 }, new ProtoWriter().Int(1, 150).ToArray());
        Assert.Equal(new byte[] { 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, new ProtoWriter().Int(3, -1).ToArray());
        Assert.Equal(new byte[] { 0x15, 0x00, 0x00, 0x80, 0x3F }, new ProtoWriter().Float(2, 1f).ToArray());
        Assert.Equal(new byte[] { 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67 }, new ProtoWriter().String(2, "testing").ToArray());
        Assert.Equal(new byte[] { 0xA2, 0x01, 0x02, 0x08, 0x01 }, new ProtoWriter().Message(20, new ProtoWriter().Int(1, 1)).ToArray());
    }

    [Fact]
    public void RefusesAnElementTypeOtherThanFloatOrHalf()
        => Assert.Throws<ArgumentOutOfRangeException>(() => GroupQueryAttentionModel.Build(SmokeLayout.Shape, 8, GroupQueryAttentionModel.Int32Type));
}
