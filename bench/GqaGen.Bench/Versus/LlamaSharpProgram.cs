using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace GqaGen.Bench.Versus;

/// <summary>
/// LLamaSharp (the llama.cpp build its CPU backend package bundles) on the same file, with its defaults except what a
/// fair comparison needs: <c>n_threads</c> = <c>n_threads_batch</c> = the thread count under test, an f16 KV cache
/// (llama.cpp's default, set explicitly so that a changed default cannot skew the depth rows), and <c>n_batch</c> as
/// large as the longest prompt, so that every prompt is one <c>llama_decode</c> call (LLamaSharp's default of 512 would
/// make the caller split it). <c>n_ubatch</c> and flash attention stay at their defaults and are printed.
/// </summary>
internal sealed class LlamaSharpProgram : IVersusProgram
{
    private static readonly LLamaSeqId Sequence = LLamaSeqId.Zero;

    private readonly ModelParams _parameters;
    private readonly LLamaWeights _weights;
    private readonly LLamaBatch _batch = new();
    private readonly int _steps;
    private LLamaContext? _filled;
    private int _depth;

    /// <summary>Loads <paramref name="path"/> for <paramref name="threads"/> threads; prompts up to
    /// <paramref name="longestPrompt"/> tokens, decode runs of <paramref name="steps"/>.</summary>
    public LlamaSharpProgram(string path, int threads, int longestPrompt, int steps)
    {
        _parameters = Defaults(path) with
        {
            Threads = threads,
            BatchThreads = threads,
            BatchSize = (uint)longestPrompt,
            TypeK = GGMLType.GGML_TYPE_F16,
            TypeV = GGMLType.GGML_TYPE_F16,
        };
        _weights = LLamaWeights.LoadFromFile(_parameters);
        _steps = steps;
    }

    public string Name => "LLamaSharp";

    /// <summary>LLamaSharp's own parameters for a file, before this benchmark changes anything.</summary>
    public static ModelParams Defaults(string path) => new(path);

    /// <summary>The parameters this program runs with (for the header).</summary>
    public ModelParams Parameters => _parameters;

    public (int Token, float Margin) GreedyNext(ReadOnlySpan<int> prompt)
    {
        using LLamaContext context = CreateContext(prompt.Length);
        Run(context, prompt, 0);
        return Logits.Best(context.NativeHandle.GetLogitsIth(prompt.Length - 1));
    }

    public double DecodeFromStart(int first, int steps)
    {
        using LLamaContext context = CreateContext(steps + 1);
        int token = Step(context, first, 0);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
            token = Step(context, token, 1 + i);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Prompt(ReadOnlySpan<int> prompt)
    {
        using LLamaContext context = CreateContext(prompt.Length);
        long start = Stopwatch.GetTimestamp();
        Run(context, prompt, 0);
        // llama_decode may return before the graph has finished; reading the logits waits for it.
        _ = context.NativeHandle.GetLogitsIth(prompt.Length - 1);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Fill(ReadOnlySpan<int> prompt)
    {
        _filled?.Dispose();
        _filled = CreateContext(prompt.Length + _steps + 1);
        _depth = prompt.Length;
        long start = Stopwatch.GetTimestamp();
        Run(_filled, prompt, 0);
        _ = _filled.NativeHandle.GetLogitsIth(prompt.Length - 1);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double DecodeAtDepth(int first, int steps)
    {
        LLamaContext context = _filled ?? throw new InvalidOperationException($"{Name}: Fill must run before the depth rows.");
        // Forget the cells of the previous round's steps (positions depth and later); the prompt's stay.
        context.NativeHandle.MemorySequenceRemove(Sequence, _depth, -1);
        int token = first;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
            token = Step(context, token, _depth + i);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private LLamaContext CreateContext(int positions)
        => _weights.CreateContext(_parameters with { ContextSize = (uint)positions });

    /// <summary>One decode step: <paramref name="token"/> at <paramref name="position"/>, then the greedy next token.</summary>
    private int Step(LLamaContext context, int token, int position)
    {
        _batch.Clear();
        _batch.Add(token, position, Sequence, true);
        Decode(context);
        return Logits.Best(context.NativeHandle.GetLogitsIth(0)).Token;
    }

    /// <summary>Runs <paramref name="tokens"/> from <paramref name="position"/> as one batch, logits for the last only.</summary>
    private void Run(LLamaContext context, ReadOnlySpan<int> tokens, int position)
    {
        _batch.Clear();
        for (int i = 0; i < tokens.Length; i++)
            _batch.Add(tokens[i], position + i, Sequence, i == tokens.Length - 1);
        Decode(context);
    }

    private void Decode(LLamaContext context)
    {
        DecodeResult result = context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok)
            throw new InvalidOperationException($"LLamaSharp's llama_decode returned {result} for a batch of {_batch.TokenCount} tokens (context of {context.ContextSize} positions).");
    }

    public void Dispose()
    {
        _filled?.Dispose();
        _weights.Dispose();
    }
}
