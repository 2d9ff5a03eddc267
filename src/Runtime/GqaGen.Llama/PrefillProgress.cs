namespace GqaGen.Llama;

/// <summary>How far a prompt's prefill has come: reported after each chunk of <see cref="LlamaSession.PrefillChunk"/>
/// tokens by <see cref="LlamaSession.Prefill(ReadOnlySpan{int}, IProgress{PrefillProgress}?, CancellationToken)"/> and
/// <see cref="GenerationOptions.PromptProgress"/>.</summary>
/// <param name="TokensDone">Prompt tokens run so far in this call.</param>
/// <param name="TokensTotal">Prompt tokens this call runs (a reused prefix is not counted).</param>
/// <param name="Elapsed">Time since the call began.</param>
public readonly record struct PrefillProgress(int TokensDone, int TokensTotal, TimeSpan Elapsed)
{
    /// <summary>The share done, 0 to 1.</summary>
    public double Fraction => TokensTotal == 0 ? 1 : (double)TokensDone / TokensTotal;

    /// <summary>Prompt tokens per second so far (0 before any time has passed).</summary>
    public double TokensPerSecond => Elapsed > TimeSpan.Zero ? TokensDone / Elapsed.TotalSeconds : 0;
}
