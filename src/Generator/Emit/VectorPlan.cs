using System.Collections.Generic;

namespace GqaGen.Generator.Emit;

/// <summary>
/// How a layout maps onto one vector width: the vectors a row is loaded as (with an overlapping, masked last
/// vector), the register tiles of the score and value loops, and the block of positions processed between
/// softmax steps. Derived from the layout alone, so the emitter stays a pure function of the model.
/// </summary>
internal sealed class VectorPlan
{
    public VectorPlan(string name, string vectorType, int width, int registers, int headDim, int headsPerGroup, string sumMethod, string maskSuffix)
    {
        Name = name;
        VectorType = vectorType;
        Width = width;
        Registers = registers;
        HeadDim = headDim;
        HeadsPerGroup = headsPerGroup;
        SumMethod = sumMethod;
        MaskSuffix = maskSuffix;
    }

    public string Name { get; }
    public string VectorType { get; }

    /// <summary>Floats per vector (16 or 8); also the number of dot products folded at once.</summary>
    public int Width { get; }

    /// <summary>Architectural vector registers (32 with AVX-512, 16 with AVX2).</summary>
    public int Registers { get; }

    public int HeadDim { get; }
    public int HeadsPerGroup { get; }
    public string SumMethod { get; }
    public string MaskSuffix { get; }

    /// <summary>The IKvRowFormat member that loads one vector of a row as floats: Load512 or Load256.</summary>
    public string RowLoad => "Load" + MaskSuffix;

    /// <summary>Whether a head fills at least one vector; shorter heads use a narrower path.</summary>
    public bool Applies => GqaKernelNumbers.VectorPathApplies(HeadDim, Width);

    /// <summary>Vectors per row, the last one possibly overlapping its neighbour.</summary>
    public int VectorsPerRow => (HeadDim + Width - 1) / Width;

    /// <summary>Lanes of the last vector that are not also in the one before it (0 when the row divides evenly).</summary>
    public int TailLanes => HeadDim % Width;

    /// <summary>Element offset of vector <paramref name="index"/> within a row.</summary>
    public int Offset(int index) => index == VectorsPerRow - 1 ? HeadDim - Width : index * Width;

    /// <summary>Positions scored, softmaxed and accumulated together (<see cref="GqaKernelNumbers.BlockPositions"/>).</summary>
    public int BlockPositions => GqaKernelNumbers.BlockPositions(HeadDim, Width);

    /// <summary>
    /// Heads per score tile, largest first: a tile of h heads × Width/h positions has Width accumulators
    /// (folded by one Sum call) and loads h query vectors and Width/h K vectors per step of the row.
    /// </summary>
    public IReadOnlyList<HeadTile> ScoreTiles() => Split(Registers == 32 ? new[] { 4, 2, 1 } : new[] { 2, 1 });

    /// <summary>
    /// Heads per value tile, largest first: each V vector loaded feeds that many heads' accumulators. For a storage type
    /// that widens its loads (<paramref name="widened"/>), tiles as wide as the group (up to 8 heads with 32 registers, 4
    /// with 16) widen each V element once, keeping fewer vectors of each head in registers (<see cref="AccumulatorBlocks"/>).
    /// For fp32 rows, a tile takes only as many heads as fit with each head's whole output (up to
    /// <see cref="Registers"/>·3/8 vectors) in registers, and re-reads the block's V rows from L1 for the next tile:
    /// 4-head tiles with halved outputs made Llama3_8B fp32 decode 9 % slower (paired runs, 2026-12-04, Zen 5 VM).
    /// </summary>
    public IReadOnlyList<HeadTile> ValueTiles(bool widened)
    {
        if (widened)
            return Split(Registers == 32 ? new[] { 8, 4, 2, 1 } : new[] { 4, 2, 1 });
        int wholeHead = System.Math.Min(VectorsPerRow, Registers * 3 / 8);
        var sizes = new List<int>();
        foreach (int size in new[] { 4, 2, 1 })
        {
            if (size == 1 || size * wholeHead <= AccumulatorBudget)
                sizes.Add(size);
        }
        return Split(sizes.ToArray());
    }

    /// <summary>Accumulator registers a value tile may hold (the rest: the V vector, the weights, addresses).</summary>
    private int AccumulatorBudget => Registers * 3 / 4;

    /// <summary>
    /// The output vectors of a head split into register blocks of near-equal size for a value tile of
    /// <paramref name="heads"/> heads: heads × block vectors stay within <see cref="AccumulatorBudget"/>.
    /// </summary>
    public IReadOnlyList<(int First, int Count)> AccumulatorBlocks(int heads)
    {
        int maxBlock = System.Math.Max(1, AccumulatorBudget / heads);
        int blocks = (VectorsPerRow + maxBlock - 1) / maxBlock;
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

    /// <summary>The most output vectors of one head a value tile of <paramref name="heads"/> heads keeps in registers.</summary>
    public int LargestBlock(int heads)
    {
        int largest = 0;
        foreach ((int _, int count) in AccumulatorBlocks(heads))
            largest = System.Math.Max(largest, count);
        return largest;
    }

    /// <summary>Covers the group's heads with tiles of the given sizes, largest first.</summary>
    private IReadOnlyList<HeadTile> Split(int[] sizes)
    {
        var tiles = new List<HeadTile>();
        int head = 0;
        foreach (int size in sizes)
        {
            int count = (HeadsPerGroup - head) / size;
            if (count > 0)
            {
                tiles.Add(new HeadTile(head, size, count));
                head += size * count;
            }
        }
        return tiles;
    }
}

/// <summary><see cref="Count"/> consecutive tiles of <see cref="Heads"/> heads each, starting at head <see cref="First"/> of the group.</summary>
internal readonly struct HeadTile
{
    public HeadTile(int first, int heads, int count)
    {
        First = first;
        Heads = heads;
        Count = count;
    }

    public int First { get; }
    public int Heads { get; }
    public int Count { get; }
}
