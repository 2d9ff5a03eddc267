using System.Diagnostics.CodeAnalysis;

namespace GqaGen.Llama;

/// <summary>
/// One step of a streamed generation (<see cref="TextGenerator.GenerateStreamingAsync(string, GenerationOptions?, CancellationToken)"/>):
/// the text that became final since the previous update and the tokens drawn since then. The last update of a
/// generation carries its <see cref="Result"/>.
/// </summary>
/// <remarks>
/// Concatenating every update's <see cref="Text"/> gives the result's <see cref="GenerationResult.Text"/>, and every
/// update's <see cref="Tokens"/> its <see cref="GenerationResult.GeneratedTokens"/>. An update comes when text is ready,
/// so one may carry several tokens (a character spread over byte tokens, text held back while it could be the start of
/// a stop sequence) and only the last may have empty text.
/// </remarks>
/// <param name="text">The text that became final (never half a UTF-8 character or a possible stop sequence's start).</param>
/// <param name="tokens">The tokens drawn since the previous update.</param>
/// <param name="result">The generation's outcome, on its last update only.</param>
public sealed class GenerationUpdate(string text, IReadOnlyList<int> tokens, GenerationResult? result = null)
{
    /// <summary>The text that became final with this update (empty only on the last one).</summary>
    public string Text { get; } = text ?? throw new ArgumentNullException(nameof(text));

    /// <summary>The tokens drawn since the previous update (usually one; the last update's may be empty).</summary>
    public IReadOnlyList<int> Tokens { get; } = tokens ?? throw new ArgumentNullException(nameof(tokens));

    /// <summary>The outcome (stop reason, usage, timings), on the last update; null on the others.</summary>
    public GenerationResult? Result { get; } = result;

    /// <summary>Whether this is the generation's last update (<see cref="Result"/> is set).</summary>
    [MemberNotNullWhen(true, nameof(Result))]
    public bool IsFinal => Result is not null;
}
