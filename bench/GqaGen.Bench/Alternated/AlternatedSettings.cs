namespace GqaGen.Bench.Alternated;

/// <summary>What a <c>decode-alternated</c> run measures (see <see cref="DecodeAlternatedBench"/>).</summary>
/// <param name="Layouts">The layouts, one case each per context.</param>
/// <param name="Contexts">Cached positions, all attended.</param>
/// <param name="Threads">Thread counts of every row (and of the read).</param>
/// <param name="StorageTypes">KV storage types of GqaGen's rows; the peers run the float32 and float16 ones.</param>
/// <param name="Rounds">Timed rounds; each runs every row of a case once.</param>
/// <param name="Peers">Whether ONNX Runtime's GroupQueryAttention and the TensorPrimitives kernel run beside GqaGen.</param>
/// <param name="ReadBytes">Bytes of the array whose plain read is the bandwidth every row is compared with.</param>
internal sealed record AlternatedSettings(
    IReadOnlyList<BenchLayout> Layouts,
    IReadOnlyList<int> Contexts,
    IReadOnlyList<int> Threads,
    IReadOnlyList<KvElementType> StorageTypes,
    int Rounds,
    bool Peers,
    long ReadBytes);
