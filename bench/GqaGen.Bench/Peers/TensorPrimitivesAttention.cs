using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GqaGen.Bench.Peers;

/// <summary>
/// Decode attention as a capable .NET developer writes it with <see cref="TensorPrimitives"/>, straight over a
/// <see cref="KvCache"/>'s <c>(group, position, d)</c> rows: dot products, a numerically safe softmax, and a weighted sum
/// of V rows, each a library call; no intrinsics, no hand tiling.
/// </summary>
/// <remarks>
/// <para>Per K/V group g, for the heads h of the group (H/G of them):</para>
/// <list type="number">
/// <item>scores[h, p] = <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>(q_h, K[g, p]) for
/// every position p, positions in the outer loop;</item>
/// <item>per head, <see cref="TensorPrimitives.Multiply(ReadOnlySpan{float}, float, Span{float})"/> by 1/√d, subtract
/// <see cref="TensorPrimitives.Max(ReadOnlySpan{float})"/> (TensorPrimitives.SoftMax itself does not, and would overflow on
/// large scores), <see cref="TensorPrimitives.SoftMax(ReadOnlySpan{float}, Span{float})"/> in place;</item>
/// <item>out_h = Σ_p w[h, p] · V[g, p] with <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>,
/// positions in the outer loop.</item>
/// </list>
/// <para><b>GQA-aware, on purpose.</b> Positions are the outer loop and the group's heads the inner one, so each K and V
/// row is read from memory once per step and reused from L1 by the H/G heads that share it. Decode is bound by the
/// bytes of K/V read; a developer who knows the model is GQA makes this loop-order change first (it is no harder to
/// write than the head-outer loop, which would read every row H/G times), so it is the fair "capable developer" peer.
/// The per-position calls remain: TensorPrimitives has no matrix-vector product, and Dot of d = 64 or 128 floats is a
/// few vector operations plus a call.</para>
/// <para><b>Half-precision caches</b> are widened block by block (64 positions) with
/// <see cref="TensorPrimitives.ConvertToSingle(ReadOnlySpan{Half}, Span{float})"/> into a per-group scratch buffer, then
/// handled as above. Other storage types are refused.</para>
/// <para><b>Threads:</b> with 2 or more, groups are spread over threads with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>
/// (MaxDegreeOfParallelism = threads); each group has its own scores and scratch buffers, and writes only its own heads' outputs.</para>
/// </remarks>
internal sealed class TensorPrimitivesAttention : IDecodePeer
{
    /// <summary>Positions widened at a time for a half-precision cache: 64 rows of d ≤ 128 are at most 32 KiB of floats.</summary>
    private const int HalfBlockPositions = 64;

    private readonly DecodeInputs _inputs;
    private readonly GqaShape _shape;
    private readonly bool _half;
    private readonly float[] _output;
    private readonly float[][] _scores;   // per group: (head in group, position)
    private readonly float[][] _scratch;  // per group, half caches only: (position in block, d)
    private readonly ParallelOptions _parallel;
    private readonly Action<int> _group;

    /// <exception cref="NotSupportedException">The cache stores neither float32 nor float16.</exception>
    public TensorPrimitivesAttention(DecodeInputs inputs, int threads)
    {
        _half = inputs.ElementType switch
        {
            KvElementType.Float32 => false,
            KvElementType.Float16 => true,
            _ => throw new NotSupportedException($"The TensorPrimitives peer reads float32 or float16 caches (TensorPrimitives converts Half to float); not {inputs.ElementType}."),
        };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _inputs = inputs;
        _shape = inputs.Shape;
        Threads = threads;
        _output = new float[_shape.QueryLength];
        _scores = new float[_shape.KvGroups][];
        _scratch = new float[_shape.KvGroups][];
        for (int g = 0; g < _shape.KvGroups; g++)
        {
            _scores[g] = new float[_shape.HeadsPerGroup * inputs.Context];
            _scratch[g] = _half ? new float[HalfBlockPositions * _shape.HeadDim] : [];
        }
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        _group = Group;
    }

    /// <summary>Threads the groups are spread over.</summary>
    public int Threads { get; }

    public string Name => $"TensorPrimitives ({(_half ? "fp16" : "fp32")}, {Threads} thread{(Threads == 1 ? "" : "s")})";

    public bool RoundsOutputToHalf => false;

    public void Decode()
    {
        if (Threads == 1)
        {
            for (int g = 0; g < _shape.KvGroups; g++)
                Group(g);
        }
        else
        {
            Parallel.For(0, _shape.KvGroups, _parallel, _group);
        }
    }

    public void CopyOutput(Span<float> destination) => _output.CopyTo(destination);

    public void Dispose()
    {
    }

    /// <summary>The heads of group <paramref name="g"/>: scores, softmax, weighted sum of V.</summary>
    private void Group(int g)
    {
        int d = _shape.HeadDim, heads = _shape.HeadsPerGroup, t = _inputs.Context;
        ReadOnlySpan<float> query = _inputs.Query.AsSpan(g * heads * d, heads * d);
        Span<float> output = _output.AsSpan(g * heads * d, heads * d);
        Span<float> scores = _scores[g];
        KvCache cache = _inputs.Cache;

        // Scores: each K row is read once and dotted with every query head of the group.
        for (int start = 0; start < t; start += HalfBlockPositions)
        {
            int count = Math.Min(HalfBlockPositions, t - start);
            ReadOnlySpan<float> keys = Rows(cache.KeyBytes(0), g, start, count, _scratch[g]);
            for (int p = 0; p < count; p++)
            {
                ReadOnlySpan<float> key = keys.Slice(p * d, d);
                for (int h = 0; h < heads; h++)
                    scores[h * t + start + p] = TensorPrimitives.Dot(query.Slice(h * d, d), key);
            }
        }

        // Softmax per head of (q·k)/√d, shifted by its maximum so that exp cannot overflow.
        float scale = _shape.Scale;
        for (int h = 0; h < heads; h++)
        {
            Span<float> s = scores.Slice(h * t, t);
            TensorPrimitives.Multiply(s, scale, s);
            TensorPrimitives.Subtract(s, TensorPrimitives.Max(s), s);
            TensorPrimitives.SoftMax(s, s);
        }

        // Output: each V row is read once and added, weighted, into every head of the group.
        output.Clear();
        for (int start = 0; start < t; start += HalfBlockPositions)
        {
            int count = Math.Min(HalfBlockPositions, t - start);
            ReadOnlySpan<float> values = Rows(cache.ValueBytes(0), g, start, count, _scratch[g]);
            for (int p = 0; p < count; p++)
            {
                ReadOnlySpan<float> value = values.Slice(p * d, d);
                for (int h = 0; h < heads; h++)
                {
                    Span<float> o = output.Slice(h * d, d);
                    TensorPrimitives.MultiplyAdd(value, scores[h * t + start + p], o, o);
                }
            }
        }
        GC.KeepAlive(cache);
    }

    /// <summary>Rows [start, start + count) of group <paramref name="g"/> as floats: the cache's own memory for a float
    /// cache, widened into <paramref name="scratch"/> for a half one.</summary>
    private ReadOnlySpan<float> Rows(Span<byte> region, int g, int start, int count, float[] scratch)
    {
        int rowBytes = _inputs.Cache.RowBytes;
        Span<byte> rows = region.Slice(_inputs.Cache.RowByteOffset(g, start), count * rowBytes);
        if (!_half)
            return MemoryMarshal.Cast<byte, float>(rows);
        Span<float> widened = scratch.AsSpan(0, count * _shape.HeadDim);
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(rows), widened);
        return widened;
    }
}
