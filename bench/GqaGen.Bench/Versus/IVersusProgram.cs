namespace GqaGen.Bench.Versus;

/// <summary>
/// One in-process decoder of <c>decoder-versus</c>, loaded once per thread count on the file under test. Every timed
/// method returns seconds of wall time for exactly the forward passes it names, nothing else (no load, no context
/// creation), so the programs' figures divide the same work by the same kind of clock.
/// </summary>
internal interface IVersusProgram : IDisposable
{
    /// <summary>The column name in the tables, e.g. "GqaGen (loaded)".</summary>
    string Name { get; }

    /// <summary>The greedy next token after <paramref name="prompt"/> (run in a fresh context) and the logit margin
    /// between the best and the second-best token: the correctness gate.</summary>
    (int Token, float Margin) GreedyNext(ReadOnlySpan<int> prompt);

    /// <summary>In a fresh context: runs <paramref name="first"/> (untimed), then times <paramref name="steps"/> greedy
    /// decode steps from position 1.</summary>
    double DecodeFromStart(int first, int steps);

    /// <summary>In a fresh context: times one prefill of <paramref name="prompt"/> (its last token's logits included).</summary>
    double Prompt(ReadOnlySpan<int> prompt);

    /// <summary>Times one prefill of <paramref name="prompt"/> into the context kept for the depth rows, which then
    /// holds <paramref name="prompt"/>.Length positions (the depth).</summary>
    double Fill(ReadOnlySpan<int> prompt);

    /// <summary>Forgets every position of the filled context past the depth, then times <paramref name="steps"/> greedy
    /// decode steps from there, starting with <paramref name="first"/>.</summary>
    double DecodeAtDepth(int first, int steps);
}
