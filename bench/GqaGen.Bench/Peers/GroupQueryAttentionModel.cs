namespace GqaGen.Bench.Peers;

/// <summary>
/// A one-node ONNX model, built in memory: ONNX Runtime's <c>com.microsoft.GroupQueryAttention</c> for one decode
/// step of batch 1, with a shared past/present KV buffer of <c>capacity</c> positions. No model file exists anywhere:
/// <see cref="Build"/> writes the protobuf bytes the session is created from.
/// </summary>
/// <remarks>
/// <para>Field numbers are onnx/onnx.proto's (proto2, IR version 10 = ONNX 1.16): ModelProto ir_version 1, opset_import 8,
/// producer_name 2, graph 7; OperatorSetIdProto domain 1, version 2; GraphProto node 1, name 2, input 11, output 12;
/// NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7; AttributeProto name 1, f 2, i 3, type 20
/// (AttributeType FLOAT = 1, INT = 2); ValueInfoProto name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor
/// elem_type 1, shape 2; TensorShapeProto dim 1; Dimension dim_value 1; TensorProto.DataType FLOAT = 1, INT32 = 6,
/// FLOAT16 = 10.</para>
/// <para>The node's inputs, in the contrib op schema's order (onnxruntime docs/ContribOperators.md, GroupQueryAttention,
/// com.microsoft opset 1): query (B, S, H·d), key (B, S, G·d), value (B, S, G·d), past_key (B, G, capacity, d) and
/// past_value in BNSH, seqlens_k (B) int32 = total length − 1, total_sequence_length (a one-element int32 tensor); the
/// optional cos_cache, sin_cache and later inputs are left out (no rotary embedding, no attention bias). Outputs:
/// output (B, S, H·d), present_key and present_value (B, G, capacity, d). When present_key is bound to the same buffer
/// as past_key (and value likewise), the CPU kernel sees equal pointers, writes the new token's row in place at position
/// seqlens_k and reads the past from there, copying nothing (gqa_attention_base.h: <c>past_present_share_buffer</c>).</para>
/// <para>Attributes: num_heads = H, kv_num_heads = G, scale = 1/√d (the same correctly rounded value GqaGen uses,
/// <see cref="GqaShape.Scale"/>), do_rotary = 0, local_window_size = −1 (full causal attention).</para>
/// </remarks>
internal static class GroupQueryAttentionModel
{
    /// <summary>Input and output names, as the node and the session bindings use them.</summary>
    public const string Query = "query", Key = "key", Value = "value", PastKey = "past_key", PastValue = "past_value",
        SeqLensK = "seqlens_k", TotalSequenceLength = "total_sequence_length",
        Output = "output", PresentKey = "present_key", PresentValue = "present_value";

    /// <summary>TensorProto.DataType values (onnx.proto).</summary>
    public const int Float32Type = 1, Int32Type = 6, Float16Type = 10;

    /// <summary>The IR version written: 10, ONNX 1.16's (the pinned ONNX Runtime, 1.32, reads up to a later one).</summary>
    public const int IrVersion = 10;

    /// <summary>The default-domain opset imported (unused by the node, but every model must import one): 21, ONNX 1.16's.</summary>
    public const int OnnxOpset = 21;

    /// <summary>The model bytes for <paramref name="shape"/>, a KV buffer of <paramref name="capacity"/> positions and
    /// tensors of <paramref name="elementType"/> (<see cref="Float32Type"/> or <see cref="Float16Type"/>) throughout.</summary>
    public static byte[] Build(GqaShape shape, int capacity, int elementType)
    {
        if (elementType is not (Float32Type or Float16Type))
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, $"Expected {Float32Type} (FLOAT) or {Float16Type} (FLOAT16).");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);

        int h = shape.Heads, g = shape.KvGroups, d = shape.HeadDim;
        var node = new ProtoWriter();
        foreach (string input in new[] { Query, Key, Value, PastKey, PastValue, SeqLensK, TotalSequenceLength })
            node.String(1, input);
        foreach (string output in new[] { Output, PresentKey, PresentValue })
            node.String(2, output);
        node.String(3, "gqa")
            .String(4, "GroupQueryAttention")
            .String(7, "com.microsoft")
            .Message(5, IntAttribute("num_heads", h))
            .Message(5, IntAttribute("kv_num_heads", g))
            .Message(5, FloatAttribute("scale", shape.Scale))
            .Message(5, IntAttribute("do_rotary", 0))
            .Message(5, IntAttribute("local_window_size", -1));

        var graph = new ProtoWriter()
            .Message(1, node)
            .String(2, "gqa_decode_step")
            .Message(11, Tensor(Query, elementType, 1, 1, h * d))
            .Message(11, Tensor(Key, elementType, 1, 1, g * d))
            .Message(11, Tensor(Value, elementType, 1, 1, g * d))
            .Message(11, Tensor(PastKey, elementType, 1, g, capacity, d))
            .Message(11, Tensor(PastValue, elementType, 1, g, capacity, d))
            .Message(11, Tensor(SeqLensK, Int32Type, 1))
            .Message(11, Tensor(TotalSequenceLength, Int32Type, 1))
            .Message(12, Tensor(Output, elementType, 1, 1, h * d))
            .Message(12, Tensor(PresentKey, elementType, 1, g, capacity, d))
            .Message(12, Tensor(PresentValue, elementType, 1, g, capacity, d));

        return new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "GqaGen.Bench")
            .Message(8, new ProtoWriter().String(1, "").Int(2, OnnxOpset))
            .Message(8, new ProtoWriter().String(1, "com.microsoft").Int(2, 1))
            .Message(7, graph)
            .ToArray();
    }

    private static ProtoWriter IntAttribute(string name, long value) => new ProtoWriter().String(1, name).Int(3, value).Int(20, 2);

    private static ProtoWriter FloatAttribute(string name, float value) => new ProtoWriter().String(1, name).Float(2, value).Int(20, 1);

    /// <summary>A ValueInfoProto for a tensor of fixed shape.</summary>
    private static ProtoWriter Tensor(string name, int elementType, params long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long dim in dims)
            shape.Message(1, new ProtoWriter().Int(1, dim));
        var tensorType = new ProtoWriter().Int(1, elementType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
