using GqaGen.Gguf;
using GqaGen.Llama.Chat;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama;

/// <summary>
/// A <c>llama</c>-architecture model (Llama 2/3, TinyLlama, Mistral, SmolLM) or <c>qwen2</c> one (Qwen2, Qwen2.5)
/// loaded from a GGUF file: its
/// configuration, weights (left in the file's storage type and memory-mapped), tokenizer and the attention kernel
/// for its layout. Create a <see cref="LlamaSession"/> per conversation to run it.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly bool _ownsFile;

    private LlamaModel(GgufFile file, bool ownsFile, LlamaModelOptions options)
    {
        _file = file;
        _ownsFile = ownsFile;
        Options = options;
        Config = LlamaConfig.FromGguf(file);
        Weights = LlamaWeights.Load(file, Config);
        Tokenizer = GgufTokenizer.FromGguf(file);
        if (Tokenizer.VocabularySize != Config.VocabularySize)
            throw new InvalidDataException($"The tokenizer has {Tokenizer.VocabularySize} tokens but token_embd.weight has {Config.VocabularySize} rows.");
        Attention = GqaKernelRegistry.Resolve(Config.Shape, options.Kernel, options.KvElementType, out string? warning);
        KernelWarning = warning;
        Pool = new ComputePool(options.Threads);
        Name = file.TryGetValue("general.name", out GgufValue? name) && name.Type == GgufValueType.String ? name.AsString() : null;
        ChatTemplateText = file.TryGetValue(ChatTemplate.MetadataKey, out GgufValue? template) && template.Type == GgufValueType.String
            ? template.AsString()
            : null;
    }

    /// <summary>Loads the model at <paramref name="path"/>, its weights in the memory
    /// <see cref="LlamaModelOptions.WeightMemory"/> names; the model owns the file.</summary>
    /// <exception cref="GgufFormatException">The file is not valid GGUF (truncated, corrupt, absurd sizes).</exception>
    /// <exception cref="InvalidDataException">Valid GGUF, but a key or tensor the model needs is missing or inconsistent (named in the message).</exception>
    /// <exception cref="NotSupportedException">Another architecture, tensor type or tokenizer (named in the message).</exception>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no generated kernel matches the layout.</exception>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null) => Load(path, options, progress: null);

    /// <summary>
    /// As <see cref="Load(string, LlamaModelOptions?)"/>, reporting the bytes read to <paramref name="progress"/> while
    /// the weights are read into memory (<see cref="GgufTensorMemory.Loaded"/>: seconds for a multi-GB file) and
    /// checking <paramref name="cancellationToken"/> between chunks.
    /// </summary>
    /// <exception cref="GgufFormatException">The file is not valid GGUF (truncated, corrupt, absurd sizes).</exception>
    /// <exception cref="InvalidDataException">Valid GGUF, but a key or tensor the model needs is missing or inconsistent (named in the message).</exception>
    /// <exception cref="NotSupportedException">Another architecture, tensor type or tokenizer (named in the message).</exception>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no generated kernel matches the layout.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while the file was read.</exception>
    public static LlamaModel Load(string path, LlamaModelOptions? options, IProgress<GgufLoadProgress>? progress, CancellationToken cancellationToken = default)
    {
        options ??= new LlamaModelOptions();
        GgufFile file = GgufFile.Open(path, new GgufOpenOptions { TensorMemory = options.WeightMemory, Progress = progress }, cancellationToken);
        try
        {
            return new LlamaModel(file, ownsFile: true, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Loads the model in <paramref name="file"/>, which must stay open while the model is used (the model does not dispose it).</summary>
    /// <exception cref="InvalidDataException">A key or tensor the model needs is missing or inconsistent.</exception>
    /// <exception cref="NotSupportedException">Another architecture, tensor type or tokenizer.</exception>
    /// <exception cref="InvalidOperationException"><see cref="GqaKernelChoice.Generated"/> and no generated kernel matches the layout.</exception>
    public static LlamaModel Load(GgufFile file, LlamaModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new LlamaModel(file, ownsFile: false, options ?? new LlamaModelOptions());
    }

    /// <summary>The options the model was loaded with.</summary>
    public LlamaModelOptions Options { get; }

    /// <summary>The model's <c>general.name</c>, if the file has one.</summary>
    public string? Name { get; }

    /// <summary>The model's chat template, the GGUF's <c>tokenizer.chat_template</c> string (Jinja text, as the model's
    /// tokenizer_config.json had it), or null if the file has none. <see cref="ChatTemplate.ForModel"/> picks the
    /// prompt format from it.</summary>
    public string? ChatTemplateText { get; }

    /// <summary>The model's blueprint.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The tokenizer stored in the file.</summary>
    public GgufTokenizer Tokenizer { get; }

    /// <summary>The attention kernel for the model's layout: generated when a [GqaLayout] matches, else generic.</summary>
    public GqaAttention Attention { get; }

    /// <summary>When the generic kernel runs for want of a [GqaLayout]: one line saying so, with the exact attribute to add.</summary>
    public string? KernelWarning { get; }

    /// <summary>Where the weights live: mapped from the file, loaded into the model's own memory (see
    /// <see cref="LlamaModelOptions.WeightMemory"/>), or a caller's memory (a <see cref="GgufFile"/> parsed from bytes).</summary>
    public GgufTensorMemory WeightMemory => _file.TensorMemory;

    /// <summary>Bytes of the weights' memory the OS backs with 2 MiB pages now (Linux; null elsewhere or for caller
    /// memory): the check that <see cref="GgufTensorMemory.Loaded"/>'s huge-page request took effect.</summary>
    public long? WeightHugePageBytes() => _file.HugePageBytes();

    /// <summary>The size of the model file (all of it is in memory when <see cref="WeightMemory"/> is
    /// <see cref="GgufTensorMemory.Loaded"/>).</summary>
    public long FileBytes => _file.Length;

    /// <summary>The storage type of the projection matrices (that of <c>blk.0.attn_q.weight</c>).</summary>
    public GgmlType WeightType => Weights.Blocks[0].Query.Type;

    /// <summary>Weight bytes read per decoded token (all layers and the output head).</summary>
    public long WeightBytesPerToken => Weights.BytesPerToken;

    internal LlamaWeights Weights { get; }

    internal ComputePool Pool { get; }

    /// <summary>A new session (run state and KV cache) that holds up to <paramref name="contextLength"/> positions.</summary>
    public LlamaSession CreateSession(int contextLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new LlamaSession(this, contextLength);
    }

    /// <summary>
    /// A session that continues from <paramref name="position"/> over an existing <paramref name="cache"/> whose
    /// positions 0…position−1 hold this model's keys and values (a cached prompt, another session's cache); later
    /// positions are overwritten. The session does not own the cache, and two sessions must not use one cache at once.
    /// </summary>
    /// <exception cref="ArgumentException">The cache's layout or layer count is not the model's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is outside 0…cache capacity.</exception>
    public LlamaSession ResumeSession(KvCache cache, int position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cache);
        ObjectDisposedException.ThrowIf(cache.IsDisposed, cache);
        if (cache.Shape != Config.Shape || cache.Layers != Config.Layers)
            throw new ArgumentException($"The cache holds {cache.Layers} layers of {cache.Shape}; this model needs {Config.Layers} layers of {Config.Shape}.", nameof(cache));
        if (position < 0 || position > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be within 0..{cache.Capacity} (the cache's capacity).");
        return new LlamaSession(this, cache, position, ownsCache: false);
    }

    private bool _disposed;

    /// <summary>Stops the worker threads and, if the model opened the file, unmaps it.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Pool.Dispose();
        if (_ownsFile)
            _file.Dispose();
    }
}
