using System;

namespace GqaGen;

/// <summary>
/// The numbers and rules the generator and the runtime must agree on, in one place: this file is compiled into the
/// runtime and linked into the generator (src/Generator/GqaGen.Generator.csproj), as the .NET Regex generator links
/// files of System.Text.RegularExpressions, so a generated kernel and the generic one cannot drift apart.
/// </summary>
/// <remarks>Written for both targets: the generator runs on netstandard2.0, so no MathF, no spans, no newer APIs.</remarks>
internal static class GqaKernelNumbers
{
    /// <summary>Largest number of query heads (and K/V heads) a layout may have; it keeps per-call scratch on the stack.</summary>
    public const int MaxHeads = 1024;

    /// <summary>Largest head dimension a layout may have.</summary>
    public const int MaxHeadDim = 512;

    /// <summary>How many blocks ahead K and V rows are prefetched (2 measured best on the reference machine; see docs/benchmarks.md).</summary>
    public const int PrefetchBlocksAhead = 2;

    /// <summary>Floats per Vector512&lt;float&gt;, the AVX-512 path's width.</summary>
    public const int Avx512Width = 16;

    /// <summary>Floats per Vector256&lt;float&gt;, the AVX2 path's width.</summary>
    public const int Avx2Width = 8;

    /// <summary>Whether a vector path of <paramref name="width"/> floats applies: a head must fill at least one vector
    /// (the last vector of a row overlaps the one before it, which needs a whole vector's worth of elements).</summary>
    public static bool VectorPathApplies(int headDim, int width) => headDim >= width;

    /// <summary>Query rows of a prefill lane tile on a vector path of <paramref name="width"/> floats: the lanes of two vectors.</summary>
    public static int PrefillLaneRows(int width) => 2 * width;

    /// <summary>Whether prefill on a vector path of <paramref name="width"/> floats takes lane tiles (query rows in
    /// vector lanes) for a layout: the path applies, d is a multiple of 8 (the value steps' element chunks), and a
    /// group's heads fit the lanes.</summary>
    public static bool PrefillLaneTileApplies(int headDim, int headsPerGroup, int width)
        => VectorPathApplies(headDim, width) && headDim % 8 == 0 && headsPerGroup <= PrefillLaneRows(width);

    /// <summary>
    /// Positions scored, softmaxed and accumulated together: as many as keep one block of K rows within about 16 KiB
    /// (half of L1), a multiple of <paramref name="tile"/>, between one tile and 64 (one tile of a long head can
    /// exceed 16 KiB: 16 rows of d = 512 are 32 KiB).
    /// </summary>
    public static int BlockPositions(int headDim, int tile)
        => Math.Max(tile, Math.Min(64, 16384 / (4 * headDim) / tile * tile));

    /// <summary>
    /// The softmax scale 1/√d, correctly rounded to float: computed in double and rounded once. (1f / MathF.Sqrt(d)
    /// rounds twice and differs by one ulp for about 150 of d in 1..512.)
    /// </summary>
    public static float Scale(int headDim) => (float)(1.0 / Math.Sqrt(headDim));

    /// <summary>Bytes of K and V that one position takes across <paramref name="layers"/> layers: 2 · layers · G · d · element size.</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    public static long KvBytesPerPosition(int layers, int kvGroups, int headDim, int elementBytes)
        => checked(2L * layers * kvGroups * headDim * elementBytes);
}
