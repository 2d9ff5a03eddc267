namespace GqaGen.Llama.Generation;

/// <summary>
/// A checked generation request: the prompt's tokens, the options, and where it runs (a caller's session, or a fresh
/// one of <see cref="FreshContextLength"/> positions). Checking happens here, when a <see cref="TextGenerator"/> method is
/// called, so that an async or streaming call rejects bad arguments at once rather than on first enumeration.
/// </summary>
internal sealed record GenerationRequest(LlamaModel Model, LlamaSession? Session, int[] Prompt, int FreshContextLength, GenerationOptions Options)
{
    /// <summary>Tokens cut from the front of the prompt to fit it (<see cref="GenerationOptions.TruncatePromptFromLeft"/>).</summary>
    public int PromptTokensDropped { get; init; }

    /// <summary>A request for a fresh session sized by <see cref="GenerationOptions.ContextLength"/> (0: prompt + max
    /// tokens, at most the model's trained context length). A prompt longer than that context is refused before any
    /// work, or with <see cref="GenerationOptions.TruncatePromptFromLeft"/> cut to its last tokens.</summary>
    /// <exception cref="ArgumentException">No prompt tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the context.</exception>
    public static GenerationRequest InFreshSession(LlamaModel model, int[] prompt, GenerationOptions? options, string promptName)
    {
        options ??= new GenerationOptions();
        CheckTokens(model, prompt, promptName);
        int trained = model.Config.ContextLength;
        int context = options.ContextLength > 0
            ? options.ContextLength
            : (int)Math.Min(trained, (long)prompt.Length + options.MaxTokens + 1);
        string raise = options.ContextLength > 0
            ? "Raise GenerationOptions.ContextLength"
            : $"Set GenerationOptions.ContextLength above the model's trained context of {trained:N0} (llama.context_length; quality beyond it is not guaranteed)";
        int dropped = Fit(model, ref prompt, context, options, promptName,
            $"the context holds {context:N0}{(options.ContextLength > 0 ? "" : $" (the model's trained context length)")}. {raise}, shorten the prompt, or set GenerationOptions.TruncatePromptFromLeft to keep its last tokens");
        return new GenerationRequest(model, null, prompt, context, options) { PromptTokensDropped = dropped };
    }

    /// <summary>
    /// Checks that <paramref name="prompt"/> fits <paramref name="context"/> positions; a longer one throws, or, with
    /// <see cref="GenerationOptions.TruncatePromptFromLeft"/>, loses tokens from its front: BOS stays first when the
    /// prompt starts with it, and room is left for <see cref="GenerationOptions.MaxTokens"/> generated tokens, at most
    /// half the context (at least one). Returns how many tokens were dropped.
    /// </summary>
    private static int Fit(LlamaModel model, ref int[] prompt, int context, GenerationOptions options, string promptName, string advice)
    {
        if (prompt.Length <= context)
            return 0;
        if (!options.TruncatePromptFromLeft)
            throw new ArgumentOutOfRangeException(promptName, prompt.Length, $"The prompt is {prompt.Length:N0} tokens; {advice}.");
        int room = Math.Clamp(options.MaxTokens, 1, Math.Max(1, context / 2));
        bool keepBos = model.Tokenizer.AddBos && prompt[0] == model.Tokenizer.BosId;
        int keep = Math.Max(1, context - room - (keepBos ? 1 : 0));
        int[] kept = keepBos ? [prompt[0], .. prompt.AsSpan(prompt.Length - keep)] : prompt[^keep..];
        int dropped = prompt.Length - kept.Length;
        prompt = kept;
        return dropped;
    }

    /// <summary>A request on the caller's <paramref name="session"/>, which must belong to <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">No prompt tokens, or the session belongs to another model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the session.</exception>
    /// <exception cref="ObjectDisposedException">The session has been disposed.</exception>
    public static GenerationRequest OnSession(LlamaModel model, LlamaSession session, int[] prompt, GenerationOptions? options, string promptName)
    {
        ArgumentNullException.ThrowIfNull(session);
        ObjectDisposedException.ThrowIf(session.Cache.IsDisposed, session);
        if (session.Model != model)
            throw new ArgumentException("The session belongs to another model than this generator's; create it with this model's CreateSession.", nameof(session));
        CheckTokens(model, prompt, promptName);
        options ??= new GenerationOptions();
        int dropped = Fit(model, ref prompt, session.ContextLength, options, promptName,
            $"the session holds {session.ContextLength:N0} positions. Create the session with a larger context length, shorten the prompt, or set GenerationOptions.TruncatePromptFromLeft to keep its last tokens");
        return new GenerationRequest(model, session, prompt, 0, options) { PromptTokensDropped = dropped };
    }

    private static void CheckTokens(LlamaModel model, int[] prompt, string promptName)
    {
        if (prompt.Length == 0)
            throw new ArgumentException("The prompt has no tokens; give at least one (a chat template's output, or text encoded with BOS).", promptName);
        int vocabulary = model.Config.VocabularySize;
        foreach (int token in prompt)
        {
            if ((uint)token >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(promptName, token, $"Token {token} is outside the vocabulary of {vocabulary} (ids 0 to {vocabulary - 1}).");
        }
    }
}
