using System.Collections.Generic;

namespace GqaGen.Generator.Emit;

/// <summary>
/// How one head of <see cref="HeadDim"/> floats maps onto vectors of <see cref="Width"/> lanes: which vectors a
/// row is loaded as, where the overlapping last vector starts, and how the output accumulators are split into
/// register blocks. Derived from the layout alone, so the emitter stays a pure function of the model.
/// </summary>
internal sealed class VectorPlan
{
    /// <summary>Accumulators one register block may hold: half the 32 AVX-512 registers (AVX2 has 16, so it gets 8).</summary>
    private readonly int _maxBlock;

    public VectorPlan(string name, string vectorType, int width, int headDim, string sumMethod, string maskSuffix, int registers)
    {
        Name = name;
        VectorType = vectorType;
        Width = width;
        HeadDim = headDim;
        SumMethod = sumMethod;
        MaskSuffix = maskSuffix;
        _maxBlock = registers / 2;
    }

    public string Name { get; }
    public string VectorType { get; }
    public int Width { get; }
    public int HeadDim { get; }
    public string SumMethod { get; }
    public string MaskSuffix { get; }

    /// <summary>Whether a head fills at least one vector; shorter heads use a narrower path.</summary>
    public bool Applies => HeadDim >= Width;

    /// <summary>Vectors per row, the last one possibly overlapping its neighbour.</summary>
    public int VectorsPerRow => (HeadDim + Width - 1) / Width;

    /// <summary>Lanes of the last vector that are not also in the one before it (0 when the row divides evenly).</summary>
    public int TailLanes => HeadDim % Width;

    /// <summary>Element offset of vector <paramref name="index"/> within a row.</summary>
    public int Offset(int index) => index == VectorsPerRow - 1 ? HeadDim - Width : index * Width;

    /// <summary>The output vectors split into register blocks of near-equal size, so the last two vectors always share a block.</summary>
    public IReadOnlyList<(int First, int Count)> AccumulatorBlocks()
    {
        int blocks = (VectorsPerRow + _maxBlock - 1) / _maxBlock;
        var result = new List<(int, int)>();
        int first = 0;
        for (int b = 0; b < blocks; b++)
        {
            int count = (VectorsPerRow - first) / (blocks - b);
            result.Add((first, count));
            first += count;
        }
        return result;
    }

    public int LargestBlock
    {
        get
        {
            int largest = 0;
            foreach ((int _, int count) in AccumulatorBlocks())
                largest = System.Math.Max(largest, count);
            return largest;
        }
    }
}
