namespace GqaGen.Tests.Support;

// Delegate types for the generated members, so that one test body can run against any layout (spans cannot be
// type arguments of Action/Func in every target the tests might move to, and named types read better).

/// <summary>The generated (or generic) <c>AppendKv</c>.</summary>
internal delegate void AppendFunction(KvCache cache, int layer, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value);

/// <summary>The public <c>Decode</c> with a position range and a log-sum-exp output.</summary>
internal delegate void DecodeFunction(ReadOnlySpan<float> query, KvCache cache, int layer, KvRange positions, Span<float> output, Span<float> logSumExp);

/// <summary>One generated per-path method for one storage type (<c>DecodeAvx512&lt;TRows&gt;</c>, <c>DecodeAvx2&lt;TRows&gt;</c>;
/// <c>DecodeScalar&lt;TRows&gt;</c> through <see cref="ScalarPathFunction"/>): no argument checks, a layer's raw K and V bytes,
/// slots per group, one contiguous range of slots, and whether to prefetch.</summary>
internal delegate void PathFunction(ReadOnlySpan<float> query, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int slots, KvRange slotRange, Span<float> output, Span<float> logSumExp, bool streaming);

/// <summary>The generated <c>DecodeScalar&lt;TRows&gt;</c>, which never prefetches.</summary>
internal delegate void ScalarPathFunction(ReadOnlySpan<float> query, ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int slots, KvRange slotRange, Span<float> output, Span<float> logSumExp);
