using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GqaGen.Bench.Peers;

/// <summary>
/// ONNX Runtime's CPU <c>com.microsoft.GroupQueryAttention</c> operator as a decode-step peer: a one-node model built in
/// code (<see cref="GroupQueryAttentionModel"/>), every input and output pre-allocated once and bound with an
/// <see cref="OrtIoBinding"/>, past and present K/V sharing one buffer, as ONNX Runtime GenAI runs it.
/// </summary>
/// <remarks>
/// <para><b>What one <see cref="Decode"/> does</b> (the timed call): <c>InferenceSession.RunWithBinding</c> of the bound
/// tensors, nothing else: no tensor is created, copied or converted by the caller. Inside, the kernel takes the query and
/// the new token's K and V (sequence length 1), writes that K/V row at position T − 1 of the shared (1, G, T, d) past/present
/// buffers (the row already holds the same values, so repeated calls are identical), and attends over positions 0..T − 1:
/// per query head a GEMM of q·Kᵀ into a scores buffer from its arena, softmax, then a GEMM with V (onnxruntime
/// contrib_ops/cpu/bert/gqa_attention_base.h as read for this peer, where an fp16 cache is widened to float per query head
/// first; the 1.32 native code was not inspected). The K/V it reads is
/// the same bytes, in the same (group, position, d) order, as the <see cref="KvCache"/> the GqaGen rows read.</para>
/// <para><b>Session:</b> intra-op threads = the thread count under test (ONNX Runtime's pool runs on the caller plus
/// threads − 1 workers, which spin between runs by default), inter-op threads 1, sequential execution, all graph
/// optimizations (a single node leaves little for them), the CPU execution provider and its default arena.</para>
/// <para><b>Element types:</b> with a <see cref="KvElementType.Float32"/> cache every tensor is float; with
/// <see cref="KvElementType.Float16"/> every tensor (query, K/V, output) is float16, since the CPU kernel takes one type
/// T for the query, the cache and the output. Other storage types have no ONNX Runtime equivalent here (its quantized
/// caches are int8/int4/fp8 with per-tensor or per-channel scales, not q8_0 blocks): the constructor refuses them.</para>
/// </remarks>
internal sealed class OrtGroupQueryAttention : IDecodePeer
{
    private readonly GqaShape _shape;
    private readonly bool _half;
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly OrtValue[] _values;
    private readonly OrtValue _output;

    /// <summary>Builds the model and session for <paramref name="inputs"/> and copies its K/V and query into ONNX Runtime's tensors.</summary>
    /// <exception cref="NotSupportedException">The cache stores neither float32 nor float16.</exception>
    public OrtGroupQueryAttention(DecodeInputs inputs, int threads)
    {
        _half = inputs.ElementType switch
        {
            KvElementType.Float32 => false,
            KvElementType.Float16 => true,
            _ => throw new NotSupportedException($"ONNX Runtime's GroupQueryAttention has no {inputs.ElementType} KV cache: it takes float or float16 tensors (and int8, int4 or fp8 with per-tensor or per-channel scales, not llama.cpp's blocks)."),
        };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _shape = inputs.Shape;
        Threads = threads;
        int g = _shape.KvGroups, d = _shape.HeadDim, t = inputs.Context;
        TensorElementType type = _half ? TensorElementType.Float16 : TensorElementType.Float;

        _options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        byte[] model = GroupQueryAttentionModel.Build(_shape, t, _half ? GroupQueryAttentionModel.Float16Type : GroupQueryAttentionModel.Float32Type);
        _session = new InferenceSession(model, _options);

        OrtAllocator allocator = OrtAllocator.DefaultInstance;
        OrtValue query = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, 1, _shape.QueryLength]);
        OrtValue key = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, 1, _shape.KvLength]);
        OrtValue value = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, 1, _shape.KvLength]);
        OrtValue pastKey = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, g, t, d]);
        OrtValue pastValue = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, g, t, d]);
        OrtValue seqLensK = OrtValue.CreateTensorValueFromMemory(new[] { t - 1 }, [1]);
        OrtValue totalSequenceLength = OrtValue.CreateTensorValueFromMemory(new[] { t }, [1]);
        _output = OrtValue.CreateAllocatedTensorValue(allocator, type, [1, 1, _shape.QueryLength]);
        _values = [query, key, value, pastKey, pastValue, seqLensK, totalSequenceLength, _output];

        // Query: float, or half (DecodeInputs rounds it to half precision for an fp16 cache, so the conversion is exact).
        if (_half)
        {
            Span<Half> q = MemoryMarshal.Cast<byte, Half>(query.GetTensorMutableRawData());
            for (int i = 0; i < q.Length; i++)
                q[i] = (Half)inputs.Query[i];
        }
        else
        {
            inputs.Query.CopyTo(MemoryMarshal.Cast<byte, float>(query.GetTensorMutableRawData()));
        }

        // Past K/V: the cache's bytes as they are; a one-layer cache without a window is (group, position, row) = BNSH for batch 1.
        inputs.Cache.KeyBytes(0).CopyTo(pastKey.GetTensorMutableRawData());
        inputs.Cache.ValueBytes(0).CopyTo(pastValue.GetTensorMutableRawData());

        // The new token's K and V, (1, 1, G·d): each group's row at position T − 1, the row the kernel (re)writes.
        int rowBytes = inputs.Cache.RowBytes;
        for (int group = 0; group < g; group++)
        {
            int source = inputs.Cache.RowByteOffset(group, t - 1);
            inputs.Cache.KeyBytes(0).Slice(source, rowBytes).CopyTo(key.GetTensorMutableRawData().Slice(group * rowBytes));
            inputs.Cache.ValueBytes(0).Slice(source, rowBytes).CopyTo(value.GetTensorMutableRawData().Slice(group * rowBytes));
        }

        _binding = _session.CreateIoBinding();
        _binding.BindInput(GroupQueryAttentionModel.Query, query);
        _binding.BindInput(GroupQueryAttentionModel.Key, key);
        _binding.BindInput(GroupQueryAttentionModel.Value, value);
        _binding.BindInput(GroupQueryAttentionModel.PastKey, pastKey);
        _binding.BindInput(GroupQueryAttentionModel.PastValue, pastValue);
        _binding.BindInput(GroupQueryAttentionModel.SeqLensK, seqLensK);
        _binding.BindInput(GroupQueryAttentionModel.TotalSequenceLength, totalSequenceLength);
        _binding.BindOutput(GroupQueryAttentionModel.Output, _output);
        // Present = past: the same tensors, so the kernel appends in place instead of copying the whole past each call.
        _binding.BindOutput(GroupQueryAttentionModel.PresentKey, pastKey);
        _binding.BindOutput(GroupQueryAttentionModel.PresentValue, pastValue);
    }

    /// <summary>ONNX Runtime's intra-op thread count.</summary>
    public int Threads { get; }

    public string Name => $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} GroupQueryAttention ({(_half ? "fp16" : "fp32")}, {Threads} thread{(Threads == 1 ? "" : "s")})";

    public bool RoundsOutputToHalf => _half;

    public void Decode() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>The bound past (= present) key tensor's bytes, (1, G, T, d): for tests that check the kernel appends in place.</summary>
    internal Span<byte> PastKeyBytes => _values[3].GetTensorMutableRawData();

    /// <summary>The bound new-token key tensor's bytes, (1, 1, G·d).</summary>
    internal Span<byte> NewKeyBytes => _values[1].GetTensorMutableRawData();

    public void CopyOutput(Span<float> destination)
    {
        ReadOnlySpan<byte> raw = _output.GetTensorMutableRawData();
        if (_half)
        {
            ReadOnlySpan<Half> output = MemoryMarshal.Cast<byte, Half>(raw);
            for (int i = 0; i < _shape.QueryLength; i++)
                destination[i] = (float)output[i];
        }
        else
        {
            MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
        }
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (OrtValue value in _values)
            value.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }
}
