using System.Diagnostics;
using System.Text;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Generation;

/// <summary>
/// One generation, step by step: the single loop behind <see cref="TextGenerator"/>'s callback, async and streaming
/// forms. <see cref="Start"/> brings the session to the prompt (reusing the prefix it already holds) and
/// <see cref="Next"/> draws tokens until some text is final, returning it as an update; the last update carries the
/// result. The cancellation token is checked before every forward pass; the steps may run on any thread, one at a time.
/// </summary>
internal sealed class GenerationRun : IDisposable
{
    private readonly GenerationRequest _request;
    private readonly GenerationOptions _options;
    private readonly int[] _prompt;
    private readonly GgufTokenizer _tokenizer;
    private readonly TokenSampler _sampler;
    private readonly TokenStreamer _streamer;
    private readonly StopSequenceMatcher _stops;
    private readonly List<int> _generated = [];
    private readonly List<int> _unreported = []; // drawn since the last update
    private readonly StringBuilder _text = new();

    private LlamaSession? _session;
    private TimeSpan _attentionBefore;
    private long _prefillTicks, _decodeTicks, _stepStarted;
    private int _evaluated, _steps;
    private int _pendingToken = -1; // drawn but not yet run through the model, or -1
    private bool _finished;

    public GenerationRun(GenerationRequest request)
    {
        _request = request;
        _options = request.Options;
        _prompt = request.Prompt;
        _tokenizer = request.Model.Tokenizer;
        _sampler = new TokenSampler(_options.Sampling);
        _streamer = _tokenizer.CreateStreamer();
        _stops = new StopSequenceMatcher(_options.StopSequences);
    }

    /// <summary>
    /// Brings the session to the prompt: a fresh one is created and runs it all; a caller's session keeps the longest
    /// prefix of its <see cref="LlamaSession.Tokens"/> that the prompt shares (all but the prompt's last token at most, so
    /// that one runs and gives logits), rewinds the rest and runs the new tokens. If cancelled during the prefill, a
    /// caller's session holds that prefix (the prefill is all or nothing).
    /// </summary>
    public void Start(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LlamaSession session = _session = _request.Session ?? _request.Model.CreateSession(_request.FreshContextLength);
        _attentionBefore = session.AttentionTime;

        long started = Stopwatch.GetTimestamp();
        int reused = CommonPrefixLength(session.Tokens, _prompt);
        if (reused == _prompt.Length)
            reused--;
        if (!session.CanRewind(reused))
            reused = 0; // a wrapped sliding-window ring: only starting over is possible
        session.Rewind(reused);
        if (_prompt.Length - reused == 1)
        {
            // One new token (a conversation's next turn of one token, or a prompt that extends the cached one by a
            // token) is a decode step. A one-token Prefill runs the same kernels (matrix-vector, decode attention) but
            // always with fp32 activations; as a decode step it takes 8-bit activations where the model's options ask
            // for them, so a generation's first step costs what the others do.
            session.Decode(_prompt[reused]);
            _options.PromptProgress?.Report(new PrefillProgress(1, 1, Stopwatch.GetElapsedTime(started)));
        }
        else
        {
            session.Prefill(_prompt.AsSpan(reused), _options.PromptProgress, cancellationToken);
        }
        _evaluated = _prompt.Length - reused;
        _prefillTicks = Stopwatch.GetTimestamp() - started;

        // As llama.cpp, the prompt counts for the repetition penalty; only its last window matters.
        int window = _options.Sampling.HasRepetitionPenalty ? _options.Sampling.RepetitionPenaltyLastN : 0;
        for (int i = Math.Max(0, _prompt.Length - window); i < _prompt.Length; i++)
            _sampler.Accept(_prompt[i]);
    }

    /// <summary>
    /// Draws tokens until some text is final and returns it as an update (the last one with the result), or null once
    /// the generation has ended. Each drawn token is run (to get the next logits) only on the way to the next one, after
    /// checking <paramref name="cancellationToken"/>: text reaches the caller before the next forward pass starts, and
    /// the last token drawn is never run.
    /// </summary>
    public GenerationUpdate? Next(CancellationToken cancellationToken)
    {
        if (_finished)
            return null;
        LlamaSession session = _session ?? throw new InvalidOperationException("Start the run first.");
        _stepStarted = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                if (_generated.Count >= _options.MaxTokens)
                    return Finish(StopReason.MaxTokens, string.Empty);
                if (_pendingToken >= 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    session.Decode(_pendingToken);
                    _pendingToken = -1;
                    _steps++;
                }

                int token = _sampler.Sample(session.LastLogits);
                if (_options.StopAtEndOfSequence && _tokenizer.IsEndOfGeneration(token))
                    return Finish(StopReason.EndOfSequence, string.Empty);
                _sampler.Accept(token);
                _generated.Add(token);
                _unreported.Add(token);
                string final = _stops.Append(_streamer.Append(token));
                if (_stops.Stopped)
                    return Finish(StopReason.StopSequence, final);
                if (_generated.Count == _options.MaxTokens)
                    return Finish(StopReason.MaxTokens, final);
                if (session.Position >= session.ContextLength)
                    return Finish(StopReason.ContextFull, final);
                // Run it on the next call: the caller gets the text first.
                _pendingToken = token;
                if (final.Length > 0)
                    return Update(final, result: null);
            }
        }
        finally
        {
            _decodeTicks += Stopwatch.GetTimestamp() - _stepStarted;
        }
    }

    /// <summary>Frees the session if the run created it.</summary>
    public void Dispose()
    {
        if (_request.Session is null)
            _session?.Dispose();
    }

    private GenerationUpdate Finish(StopReason reason, string final)
    {
        _finished = true;
        if (reason != StopReason.StopSequence)
        {
            // No more text will come: what the streamer held (an incomplete character) and what could have begun a stop
            // sequence are final, unless the streamer's last bytes complete one.
            final += _stops.Append(_streamer.Flush());
            if (_stops.Stopped)
                reason = StopReason.StopSequence;
            else
                final += _stops.Flush();
        }

        LlamaSession session = _session!;
        LlamaConfig config = _request.Model.Config;
        var result = new GenerationResult(_prompt, _generated.ToArray(), _text.ToString() + final, reason,
            Stopwatch.GetElapsedTime(0, _prefillTicks), Stopwatch.GetElapsedTime(_stepStarted - _decodeTicks),
            session.AttentionTime - _attentionBefore, session.Cache.SizeInBytes, session.Cache.SizeInBytes / config.KvGroups * config.Heads,
            _request.Model.Attention.Description)
        {
            DecodeSteps = _steps,
            PromptTokensEvaluated = _evaluated,
            PromptTokensDropped = _request.PromptTokensDropped,
        };
        return Update(final, result);
    }

    private GenerationUpdate Update(string final, GenerationResult? result)
    {
        _text.Append(final);
        var update = new GenerationUpdate(final, _unreported.ToArray(), result);
        _unreported.Clear();
        return update;
    }

    private static int CommonPrefixLength(IReadOnlyList<int> held, int[] prompt)
    {
        int length = Math.Min(held.Count, prompt.Length), i = 0;
        while (i < length && held[i] == prompt[i])
            i++;
        return i;
    }
}
