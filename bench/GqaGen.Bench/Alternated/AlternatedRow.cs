using GqaGen.Bench.Peers;

namespace GqaGen.Bench.Alternated;

/// <summary>What a row of a <c>decode-alternated</c> case runs.</summary>
internal enum RowKind
{
    /// <summary>The plain read of the bandwidth array (<see cref="ReadArray"/>).</summary>
    Read,

    /// <summary>GqaGen's kernel generated for the layout.</summary>
    Generated,

    /// <summary>GqaGen's generic kernel.</summary>
    Generic,

    /// <summary>ONNX Runtime's <c>com.microsoft</c> GroupQueryAttention (<see cref="OrtGroupQueryAttention"/>).</summary>
    OnnxRuntime,

    /// <summary>The TensorPrimitives kernel (<see cref="TensorPrimitivesAttention"/>).</summary>
    TensorPrimitives,
}

/// <summary>
/// One row of a <c>decode-alternated</c> case: a call (a decode step of one peer, or the read) and the time of each
/// round's call.
/// </summary>
/// <param name="Kind">What runs.</param>
/// <param name="Threads">Threads the call uses.</param>
/// <param name="Kv">The KV storage type of a decode row; <see langword="null"/> for the read.</param>
/// <param name="Bytes">Bytes one call reads: the K/V of a decode row, the array of the read.</param>
/// <param name="Call">The timed call.</param>
internal sealed record AlternatedRow(RowKind Kind, int Threads, KvElementType? Kv, long Bytes, Action Call)
{
    /// <summary>Milliseconds of each timed round's call, in round order.</summary>
    public List<double> Milliseconds { get; } = [];

    /// <summary>The row's name in the tables, e.g. "GqaGen generated".</summary>
    public string Name => Kind switch
    {
        RowKind.Read => "read (plain vector sum)",
        RowKind.Generated => "GqaGen generated",
        RowKind.Generic => "GqaGen generic",
        RowKind.OnnxRuntime => "ONNX Runtime GQA",
        _ => "TensorPrimitives",
    };

    /// <summary>The storage type's short name (f32, f16, bf16, q8_0), or a dash for the read.</summary>
    public string KvName => Kv?.ShortName() ?? "–";

    /// <summary>GB/s of one round's call.</summary>
    public double GigabytesPerSecond(int round) => Bytes / Milliseconds[round] / 1e6;
}
