using System.Diagnostics;
using GqaGen.Gguf;
using GqaGen.Llama;

namespace GqaGen.Bench.Versus;

/// <summary>GqaGen's decoder (<see cref="LlamaModel"/>, f16 KV cache) with its weights <see cref="GgufTensorMemory.Loaded"/>
/// or <see cref="GgufTensorMemory.Mapped"/>; besides the plain <see cref="LlamaSession.Decode"/> loop it times the
/// same steps through <see cref="TextGenerator.GenerateStreamingAsync(LlamaSession, IReadOnlyList{int}, GenerationOptions?, CancellationToken)"/>,
/// the path <c>generate</c> runs.</summary>
internal sealed class GqaGenProgram : IVersusProgram
{
    private readonly LlamaModel _model;
    private readonly TextGenerator _generator;
    private readonly int _steps;
    private LlamaSession? _filled;
    private int[] _fillTokens = [];

    /// <summary>Loads <paramref name="path"/> with <paramref name="threads"/> threads; the filled session will hold the
    /// depth plus <paramref name="steps"/> positions.</summary>
    public GqaGenProgram(string path, GgufTensorMemory memory, int threads, int steps, ActivationPrecision activations = ActivationPrecision.Float32)
    {
        _model = LlamaModel.Load(path, new LlamaModelOptions { Threads = threads, KvElementType = KvElementType.Float16, WeightMemory = memory, Activations = activations });
        _generator = new TextGenerator(_model);
        _steps = steps;
        Name = $"GqaGen ({(memory == GgufTensorMemory.Loaded ? "loaded" : "mapped")})";
    }

    public string Name { get; }

    /// <summary>The model, for the header (weight type, huge pages).</summary>
    public LlamaModel Model => _model;

    public (int Token, float Margin) GreedyNext(ReadOnlySpan<int> prompt)
    {
        using LlamaSession session = _model.CreateSession(prompt.Length);
        return Logits.Best(session.Prefill(prompt));
    }

    public double DecodeFromStart(int first, int steps)
    {
        using LlamaSession session = _model.CreateSession(steps + 1);
        int token = TokenSampler.ArgMax(session.Decode(first));
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
            token = TokenSampler.ArgMax(session.Decode(token));
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Prompt(ReadOnlySpan<int> prompt)
    {
        using LlamaSession session = _model.CreateSession(prompt.Length);
        long start = Stopwatch.GetTimestamp();
        session.Prefill(prompt);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Fill(ReadOnlySpan<int> prompt)
    {
        _filled?.Dispose();
        // Room for the depth, the prompt's one extra token of the streaming row and the decode steps.
        _filled = _model.CreateSession(prompt.Length + _steps + 1);
        _fillTokens = prompt.ToArray();
        long start = Stopwatch.GetTimestamp();
        _filled.Prefill(prompt);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double DecodeAtDepth(int first, int steps)
    {
        LlamaSession session = Filled();
        session.Rewind(_fillTokens.Length);
        int token = first;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
            token = TokenSampler.ArgMax(session.Decode(token));
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// The same <paramref name="steps"/> forward passes as <see cref="DecodeAtDepth"/>, through <c>generate</c>'s
    /// streaming path on the filled session: the prompt is the filled tokens plus <paramref name="first"/>, so the
    /// generator keeps the whole filled prefix and runs <paramref name="first"/> at the depth, then decodes until it has
    /// drawn <paramref name="steps"/> tokens (the last drawn token is not run: steps passes in all). End of sequence
    /// does not stop it, so a random model runs every step. Returns the seconds of the whole enumeration.
    /// </summary>
    public double StreamAtDepth(int first, int steps)
    {
        LlamaSession session = Filled();
        session.Rewind(_fillTokens.Length);
        int[] prompt = [.. _fillTokens, first];
        var options = new GenerationOptions { MaxTokens = steps, StopAtEndOfSequence = false };
        long start = Stopwatch.GetTimestamp();
        // A benchmark's timing loop: blocking on the stream is the point (the same wait a console app's await does).
        int drawn = Drain(_generator.GenerateStreamingAsync(session, prompt, options)).GetAwaiter().GetResult();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (drawn != steps)
            throw new InvalidOperationException($"The streaming generation drew {drawn} tokens where {steps} were asked for; the timing would not compare with the decode loop's.");
        return seconds;
    }

    private static async Task<int> Drain(IAsyncEnumerable<GenerationUpdate> updates)
    {
        int drawn = 0;
        await foreach (GenerationUpdate update in updates.ConfigureAwait(false))
            drawn += update.Tokens.Count;
        return drawn;
    }

    private LlamaSession Filled() => _filled ?? throw new InvalidOperationException($"{Name}: Fill must run before the depth rows.");

    public void Dispose()
    {
        _filled?.Dispose();
        _model.Dispose();
    }
}
