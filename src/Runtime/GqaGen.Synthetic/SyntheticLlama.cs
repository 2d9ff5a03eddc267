using System.Buffers;
using GqaGen.Gguf;
using GqaGen.Llama.Chat;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Synthetic;

/// <summary>
/// Writes <see cref="SyntheticLlamaSpec"/> models as GGUF files of llama.cpp's <c>llama</c> architecture (or
/// <c>qwen2</c>, see <see cref="SyntheticLlamaSpec.Architecture"/>), with the
/// metadata keys and tensor names llama.cpp's converter writes and random weights from the spec's seed. They stand in
/// for real checkpoints in tests, samples and benchmarks: this project never downloads a model.
/// </summary>
/// <remarks>
/// <para>Weights are uniform with the standard deviation of a scaled initialisation, so that activations keep a
/// steady size through the layers: a matrix reading <c>n</c> inputs gets standard deviation <c>1/√n</c>, which keeps
/// each projection of an RMS-normalised vector at about unit size. Two gains keep the model from being bland:
/// the query and key projections get <see cref="QueryKeyGain"/>, so scores <c>q·k/√d</c> spread over a few units and
/// attention is far from uniform, and the embedding (which is also the head when tied) and the output head get
/// <see cref="OutputGain"/>, so logits spread over a few units and sampling differs from greedy decoding. RMS-norm
/// weights are <c>1 ± 0.1</c>.</para>
/// <para>Values come from <see cref="UniformWeightStream"/>, a hash of (seed, tensor name, index), so every tensor is
/// independent of the others and of the chunking used to write it.</para>
/// </remarks>
public static class SyntheticLlama
{
    /// <summary>Standard deviation of query and key weights, in units of <c>1/√EmbeddingLength</c>.</summary>
    public const float QueryKeyGain = 1.5f;

    /// <summary>Standard deviation of the embedding and output weights, in units of <c>1/√EmbeddingLength</c>:
    /// logits then have a standard deviation of about this.</summary>
    public const float OutputGain = 3f;

    /// <summary>Half-width of the uniform noise around 1 in RMS-norm weights.</summary>
    public const float NormSpread = 0.1f;

    /// <summary>Half-width of the uniform Q/K/V biases of a qwen2 model: a few tenths, the size of the unit-scale
    /// projections they are added to, so a decoder that dropped them would be visibly wrong.</summary>
    public const float BiasSpread = 0.5f;

    /// <summary>Values generated and encoded per write: large enough to amortise each write, small enough to stay in cache.</summary>
    private const int ChunkElements = 1 << 16;

    /// <summary>√3: the standard deviation of a uniform [-1, 1) value is 1/√3.</summary>
    private static readonly float UniformToUnitStd = MathF.Sqrt(3f);

    /// <summary>Writes the model to <paramref name="destination"/> (which need not seek), reporting the fraction of
    /// tensor bytes written to <paramref name="progress"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not writable, or the spec is invalid
    /// (see <see cref="SyntheticLlamaSpec.Validate"/>).</exception>
    public static void Write(SyntheticLlamaSpec spec, Stream destination, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        spec.Validate();

        var tensors = Tensors(spec);
        long totalBytes = tensors.Sum(t => t.ByteSize);
        long writtenBytes = 0;
        void Advance(long bytes)
        {
            writtenBytes += bytes;
            progress?.Report(totalBytes == 0 ? 1.0 : (double)writtenBytes / totalBytes);
        }

        var writer = new GgufWriter();
        AddMetadata(writer, spec);
        foreach (var tensor in tensors)
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, stream => WriteTensorData(spec.Seed, tensor, stream, Advance));
        progress?.Report(0.0);
        writer.WriteTo(destination);
    }

    /// <summary>Writes the model to a new array: for small models (under 2 GiB; the TinyLlama shape needs
    /// <see cref="Write"/> to a file).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    /// <exception cref="ArgumentException">The spec is invalid, or the model is too large for one array.</exception>
    public static byte[] Create(SyntheticLlamaSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        long tensorBytes = Tensors(spec).Sum(t => t.ByteSize);
        // Headroom for the metadata (a 32000-token vocabulary is about a megabyte) and alignment padding.
        const long metadataAllowance = 64L << 20;
        if (tensorBytes > Array.MaxLength - metadataAllowance)
            throw new ArgumentException(
                $"The model's tensors take {tensorBytes:N0} bytes, more than one array holds ({Array.MaxLength - metadataAllowance:N0} with room for metadata); write it to a file with SyntheticLlama.Write.",
                nameof(spec));
        using var stream = new MemoryStream(checked((int)(tensorBytes + (1 << 20))));
        Write(spec, stream);
        return stream.ToArray();
    }

    private static void AddMetadata(GgufWriter writer, SyntheticLlamaSpec spec)
    {
        // Keys and types as llama.cpp's convert_hf_to_gguf.py writes them for the llama architecture.
        // Keys and types as llama.cpp's convert_hf_to_gguf.py writes them; qwen2's are llama's under its own prefix.
        string arch = spec.Architecture;
        writer.AddString("general.architecture", arch);
        writer.AddString("general.name",
            $"synthetic-{arch} embd {spec.EmbeddingLength}, {spec.Layers} layers, H={spec.Heads} G={spec.KvGroups} d={spec.HeadDim}, {(spec.Mix == SyntheticWeightMix.Uniform ? spec.WeightType.ToString() : spec.Mix.ToString())}, seed {spec.Seed}");
        writer.AddUInt32("general.file_type", spec.Mix == SyntheticWeightMix.Uniform ? FileType(spec.WeightType) : SyntheticWeightMixes.FileType(spec.Mix));
        writer.AddUInt32($"{arch}.context_length", (uint)spec.ContextLength);
        writer.AddUInt32($"{arch}.embedding_length", (uint)spec.EmbeddingLength);
        writer.AddUInt32($"{arch}.block_count", (uint)spec.Layers);
        writer.AddUInt32($"{arch}.feed_forward_length", (uint)spec.FeedForwardLength);
        writer.AddUInt32($"{arch}.attention.head_count", (uint)spec.Heads);
        writer.AddUInt32($"{arch}.attention.head_count_kv", (uint)spec.KvGroups);
        writer.AddFloat32($"{arch}.attention.layer_norm_rms_epsilon", spec.RmsNormEpsilon);
        writer.AddFloat32($"{arch}.rope.freq_base", spec.RopeFreqBase);
        writer.AddUInt32($"{arch}.rope.dimension_count", (uint)spec.HeadDim);
        writer.AddUInt32($"{arch}.attention.key_length", (uint)spec.HeadDim);
        writer.AddUInt32($"{arch}.attention.value_length", (uint)spec.HeadDim);
        writer.AddUInt32($"{arch}.vocab_size", (uint)spec.VocabularySize);

        var tokenizer = spec.TokenizerModel == SyntheticLlamaSpec.LlamaTokenizer
            ? SyntheticVocabulary.Llama(spec.VocabularySize, spec.ChatControlTokens)
            : SyntheticVocabulary.Gpt2(spec.VocabularySize, spec.ChatControlTokens);
        // Qwen's GGUF files name Qwen2's pre-tokenizer and leave BOS off (llama.cpp's default for it).
        if (spec.HasQkvBias && tokenizer.Model == SyntheticLlamaSpec.Gpt2Tokenizer)
            tokenizer = tokenizer with { PreTokenizer = "qwen2", AddBos = false };
        tokenizer.WriteTo(writer);
        // After the tokenizer keys, where llama.cpp's converter writes it.
        if (spec.ChatTemplate is not null)
            writer.AddString(ChatTemplate.MetadataKey, spec.ChatTemplate);
    }

    /// <summary>llama.cpp's <c>llama_ftype</c> for a model whose matrices are all <paramref name="type"/>.</summary>
    private static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,   // LLAMA_FTYPE_ALL_F32
        GgmlType.F16 => 1,   // LLAMA_FTYPE_MOSTLY_F16
        GgmlType.Q4_0 => 2,  // LLAMA_FTYPE_MOSTLY_Q4_0
        GgmlType.Q4_1 => 3,  // LLAMA_FTYPE_MOSTLY_Q4_1
        GgmlType.Q8_0 => 7,  // LLAMA_FTYPE_MOSTLY_Q8_0
        GgmlType.Q5_0 => 8,  // LLAMA_FTYPE_MOSTLY_Q5_0
        GgmlType.Q5_1 => 9,  // LLAMA_FTYPE_MOSTLY_Q5_1
        GgmlType.Q2_K => 10, // LLAMA_FTYPE_MOSTLY_Q2_K
        GgmlType.Q3_K => 11, // LLAMA_FTYPE_MOSTLY_Q3_K_S: all Q3_K (llama.cpp has no plain "Q3_K" file type)
        GgmlType.Q4_K => 14, // LLAMA_FTYPE_MOSTLY_Q4_K_S
        GgmlType.Q5_K => 16, // LLAMA_FTYPE_MOSTLY_Q5_K_S
        GgmlType.Q6_K => 18, // LLAMA_FTYPE_MOSTLY_Q6_K
        GgmlType.BF16 => 32, // LLAMA_FTYPE_MOSTLY_BF16
        _ => throw new ArgumentException($"Weight type {type} is not supported.", nameof(type)),
    };

    /// <summary>One tensor to write: a matrix of <paramref name="Rows"/> × <paramref name="Columns"/> (GGUF dimensions
    /// [columns, rows]) or a norm vector (<paramref name="Rows"/> = 1), filled as <c>Center + Scale · u</c>, u uniform in [-1, 1).</summary>
    private sealed record TensorPlan(string Name, GgmlType Type, long Rows, long Columns, float Center, float Scale)
    {
        public long[] Dimensions => Rows == 1 ? [Columns] : [Columns, Rows];

        public long ElementCount => Rows * Columns;

        public long ByteSize => WeightEncoder.ByteCount(Type, ElementCount);
    }

    /// <summary>Every tensor of the model in llama.cpp's file order: embedding, head, then the blocks.</summary>
    private static List<TensorPlan> Tensors(SyntheticLlamaSpec spec)
    {
        int embd = spec.EmbeddingLength, ffn = spec.FeedForwardLength;

        // A matrix W with out[r] = Σ_c W[r][c] · in[c] over `columns` inputs, of standard deviation gain / √columns;
        // its type is spec.WeightType unless spec.Mix chooses per tensor.
        TensorPlan Matrix(string name, int rows, int columns, float gain = 1f) =>
            new(name, SyntheticWeightMixes.MatrixType(spec, name, columns), rows, columns, Center: 0f, Scale: gain / MathF.Sqrt(columns) * UniformToUnitStd);
        TensorPlan Norm(string name) => new(name, GgmlType.F32, 1, embd, Center: 1f, Scale: NormSpread);
        TensorPlan Bias(string name, int length) => new(name, GgmlType.F32, 1, length, Center: 0f, Scale: BiasSpread);

        var plans = new List<TensorPlan>
        {
            Matrix("token_embd.weight", spec.VocabularySize, embd, OutputGain),
            Norm("output_norm.weight"),
        };
        if (!spec.TiedOutput)
            plans.Add(Matrix("output.weight", spec.VocabularySize, embd, OutputGain));
        for (int layer = 0; layer < spec.Layers; layer++)
        {
            string block = $"blk.{layer}.";
            plans.Add(Norm(block + "attn_norm.weight"));
            plans.Add(Matrix(block + "attn_q.weight", spec.QueryLength, embd, QueryKeyGain));
            plans.Add(Matrix(block + "attn_k.weight", spec.KvLength, embd, QueryKeyGain));
            plans.Add(Matrix(block + "attn_v.weight", spec.KvLength, embd));
            if (spec.HasQkvBias)
            {
                plans.Add(Bias(block + "attn_q.bias", spec.QueryLength));
                plans.Add(Bias(block + "attn_k.bias", spec.KvLength));
                plans.Add(Bias(block + "attn_v.bias", spec.KvLength));
            }
            plans.Add(Matrix(block + "attn_output.weight", embd, spec.QueryLength));
            plans.Add(Norm(block + "ffn_norm.weight"));
            plans.Add(Matrix(block + "ffn_gate.weight", ffn, embd));
            plans.Add(Matrix(block + "ffn_up.weight", ffn, embd));
            plans.Add(Matrix(block + "ffn_down.weight", embd, ffn));
        }
        return plans;
    }

    /// <summary>Encodes <paramref name="values"/>[..count] into <paramref name="bytes"/>[..byteCount].</summary>
    private static void Encode(GgmlType type, float[] values, int count, byte[] bytes, int byteCount)
    {
        if (type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0)
        {
            WeightEncoder.Encode(type, values.AsSpan(0, count), bytes.AsSpan(0, byteCount));
            return;
        }
        // The k-quants' scale searches cost about 150 ns a weight (minutes for a TinyLlama-sized model on one core).
        // Blocks are independent, so runs of them are encoded in parallel: the bytes are the same.
        const int blocksPerPart = 16;
        int blockElements = Quantizers.GgmlQuantization.BlockElements(type), blockBytes = Quantizers.GgmlQuantization.BlockBytes(type);
        int blocks = count / blockElements;
        Parallel.For(0, (blocks + blocksPerPart - 1) / blocksPerPart, part =>
        {
            int first = part * blocksPerPart, n = Math.Min(blocksPerPart, blocks - first);
            Quantizers.GgmlQuantization.Quantize(type, values.AsSpan(first * blockElements, n * blockElements),
                bytes.AsSpan(first * blockBytes, n * blockBytes));
        });
    }

    private static void WriteTensorData(int seed, TensorPlan tensor, Stream stream, Action<long> advance)
    {
        var random = new UniformWeightStream(seed, tensor.Name);
        // Whole blocks per chunk (2^16 is a multiple of every block size, 32 or 256); a quantized tensor's element
        // count is whole blocks, because its rows are (by Validate, or by the mix's fallback types).
        int chunk = ChunkElements;
        float[] values = ArrayPool<float>.Shared.Rent(chunk);
        byte[] bytes = ArrayPool<byte>.Shared.Rent((int)WeightEncoder.ByteCount(GgmlType.F32, chunk));
        try
        {
            for (long start = 0; start < tensor.ElementCount; start += chunk)
            {
                int count = (int)Math.Min(chunk, tensor.ElementCount - start);
                var span = values.AsSpan(0, count);
                random.Fill(start, span);
                for (int i = 0; i < span.Length; i++)
                    span[i] = tensor.Center + tensor.Scale * span[i];
                int byteCount = (int)WeightEncoder.ByteCount(tensor.Type, count);
                Encode(tensor.Type, values, count, bytes, byteCount);
                stream.Write(bytes, 0, byteCount);
                advance(byteCount);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<float>.Shared.Return(values);
        }
    }
}
