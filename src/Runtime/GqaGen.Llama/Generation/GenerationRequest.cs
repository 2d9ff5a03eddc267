namespace GqaGen.Llama.Generation;

/// <summary>
/// A checked generation request: the prompt's tokens, the options, and where it runs (a caller's session, or a fresh
/// one of <see cref="FreshContextLength"/> positions). Checking happens here, when a <see cref="TextGenerator"/> method is
/// called, so that an async or streaming call rejects bad arguments at once rather than on first enumeration.
/// </summary>
internal sealed record GenerationRequest(LlamaModel Model, LlamaSession? Session, int[] Prompt, int FreshContextLength, GenerationOptions Options)
{
    /// <summary>A request for a fresh session sized by <see cref="GenerationOptions.ContextLength"/> (0: prompt + max
    /// tokens, within the model's context length unless the prompt alone is longer).</summary>
    /// <exception cref="ArgumentException">No prompt tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary, or the prompt does not fit the context.</exception>
    public static GenerationRequest InFreshSession(LlamaModel model, int[] prompt, GenerationOptions? options, string promptName)
    {
        options ??= new GenerationOptions();
        CheckTokens(model, prompt, promptName);
        int context = options.ContextLength > 0
            ? options.ContextLength
            : (int)Math.Min(Math.Max(model.Config.ContextLength, prompt.Length + 1), (long)prompt.Length + options.MaxTokens + 1);
        if (prompt.Length > context)
            throw new ArgumentOutOfRangeException(promptName, prompt.Length, $"The prompt is {prompt.Length} tokens; the context holds {context}. Raise GenerationOptions.ContextLength or shorten the prompt.");
        return new GenerationRequest(model, null, prompt, context, options);
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
        if (prompt.Length > session.ContextLength)
            throw new ArgumentOutOfRangeException(promptName, prompt.Length, $"The prompt is {prompt.Length} tokens; the session holds {session.ContextLength} positions. Create the session with a larger context length.");
        return new GenerationRequest(model, session, prompt, 0, options ?? new GenerationOptions());
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
