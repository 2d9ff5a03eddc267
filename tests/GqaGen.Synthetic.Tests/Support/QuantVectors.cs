using System.Text.Json;
using GqaGen.Gguf;

namespace GqaGen.Synthetic.Tests.Support;

/// <summary>One committed vector file of Data/quant-vectors: rows of floats, the blocks llama.cpp's
/// <c>llama-quantize</c> made of them, and gguf-py's dequantization of those blocks.</summary>
internal sealed record QuantVectors(GgmlType Type, int Rows, int RowLength, float[] Input, byte[] Blocks, float[] Dequantized)
{
    /// <summary>The nine types with committed vectors.</summary>
    public static TheoryData<GgmlType> Types { get; } = new(
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    public static QuantVectors Load(GgmlType type)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "quant-vectors", $"{type}.json");
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = json.RootElement;
        Assert.Equal(type.ToString(), root.GetProperty("type").GetString());
        int rows = root.GetProperty("rows").GetInt32(), rowLength = root.GetProperty("rowLength").GetInt32();
        float[] input = Floats(root.GetProperty("inputF32").GetBytesFromBase64());
        float[] dequantized = Floats(root.GetProperty("dequantizedF32").GetBytesFromBase64());
        Assert.Equal(rows * rowLength, input.Length);
        Assert.Equal(input.Length, dequantized.Length);
        return new QuantVectors(type, rows, rowLength, input, root.GetProperty("blocks").GetBytesFromBase64(), dequantized);
    }

    private static float[] Floats(byte[] littleEndian)
    {
        var values = new float[littleEndian.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BitConverter.ToSingle(littleEndian, 4 * i);
        return values;
    }
}
