using System.Diagnostics;

namespace GqaGen.Llama;

/// <summary>
/// Prompt → tokens → prefill → decode loop → text: the whole generation path on a <see cref="LlamaModel"/>,
/// streaming text as it is produced.
/// </summary>
public sealed class TextGenerator
{
    private readonly LlamaModel _model;

    /// <summary>A generator over <paramref name="model"/>.</summary>
    public TextGenerator(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/> in a fresh session. <paramref name="onText"/> receives
    /// the text piece by piece as tokens are produced (never half a UTF-8 character).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt encodes to no tokens (an empty prompt with a tokenizer that adds no BOS).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The prompt alone does not fit the context.</exception>
    public GenerationResult Generate(string prompt, GenerationOptions? options = null, Action<string>? onText = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options ??= new GenerationOptions();
        var tokenizer = _model.Tokenizer;
        int[] promptTokens = tokenizer.Encode(prompt, addBos: true).ToArray();
        if (promptTokens.Length == 0)
            throw new ArgumentException("The prompt encodes to no tokens; give some text (this tokenizer adds no BOS).", nameof(prompt));

        int context = options.ContextLength > 0
            ? options.ContextLength
            : (int)Math.Min(Math.Max(_model.Config.ContextLength, promptTokens.Length + 1), (long)promptTokens.Length + options.MaxTokens + 1);
        if (promptTokens.Length > context)
            throw new ArgumentOutOfRangeException(nameof(prompt), promptTokens.Length, $"The prompt is {promptTokens.Length} tokens; the context holds {context}.");

        using LlamaSession session = _model.CreateSession(context);
        var sampler = new TokenSampler(options.Sampling);
        var streamer = tokenizer.CreateStreamer();
        var generated = new List<int>();
        var text = new System.Text.StringBuilder();

        long start = Stopwatch.GetTimestamp();
        ReadOnlySpan<float> logits = session.Prefill(promptTokens);
        TimeSpan prefill = Stopwatch.GetElapsedTime(start);

        start = Stopwatch.GetTimestamp();
        int steps = 0;
        StopReason reason = StopReason.MaxTokens;
        while (generated.Count < options.MaxTokens)
        {
            int token = sampler.Sample(logits);
            if (options.StopAtEndOfSequence && tokenizer.IsEndOfGeneration(token))
            {
                reason = StopReason.EndOfSequence;
                break;
            }
            generated.Add(token);
            Emit(streamer.Append(token));
            if (generated.Count == options.MaxTokens)
                break;
            if (session.Position >= session.ContextLength)
            {
                reason = StopReason.ContextFull;
                break;
            }
            logits = session.Decode(token);
            steps++;
        }
        Emit(streamer.Flush());
        TimeSpan decode = Stopwatch.GetElapsedTime(start);

        var config = _model.Config;
        return new GenerationResult(promptTokens, generated, text.ToString(), reason, prefill, decode, session.AttentionTime,
            session.Cache.SizeInBytes, session.Cache.SizeInBytes / config.KvGroups * config.Heads, _model.Attention.Description)
        {
            DecodeSteps = steps,
        };

        void Emit(string piece)
        {
            if (piece.Length == 0)
                return;
            text.Append(piece);
            onText?.Invoke(piece);
        }
    }
}
