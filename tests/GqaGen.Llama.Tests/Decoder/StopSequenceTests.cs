using System.Text;
using GqaGen.Gguf;
using GqaGen.Llama.Generation;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>Stop sequences: found across token boundaries and inside multi-byte characters, never streamed (not even in
/// part), and what could still become one is held back only until it cannot.</summary>
public sealed class StopSequenceTests
{
    // Byte tokens, all distinct: "A", "é" (C3 A9), "€" (E2 82 AC), "😀" (F0 9F 98 80, a surrogate pair), "B".
    private const string Script = "Aé€😀B";

    private static GenerationOptions Options(params string[] stops) => new() { MaxTokens = 32, StopSequences = stops };

    [Fact]
    public async Task A_stop_sequence_across_multi_byte_tokens_ends_the_text_before_it_and_is_never_streamed()
    {
        using var llama = LoadScripted(out int start, out int[] script);
        var generator = new TextGenerator(llama);

        var updates = new List<GenerationUpdate>();
        GenerationResult result = await Collect(generator.GenerateStreamingAsync([start], Options("é€")), updates);

        Assert.Equal(StopReason.StopSequence, result.StopReason);
        Assert.Equal("A", result.Text);
        // "é€" is complete with its 5th byte token, the 6th of the script: everything up to it was drawn, nothing after.
        Assert.Equal(script[..6], result.GeneratedTokens);
        Assert.Equal(["A", ""], updates.Select(u => u.Text));
        Assert.Equal([[script[0]], script[1..6]], updates.Select(u => u.Tokens.ToArray()));
        AssertUpdatesAddUp(updates, result);
    }

    [Fact]
    public async Task Text_that_could_start_a_stop_sequence_is_held_until_it_cannot_then_streamed()
    {
        using var llama = LoadScripted(out int start, out int[] script);
        var updates = new List<GenerationUpdate>();
        // "é" could begin "é!", so it waits for the next character; "€" settles it.
        GenerationResult result = await Collect(new TextGenerator(llama).GenerateStreamingAsync([start], Options("é!", "😀B!")), updates);

        Assert.Equal(StopReason.EndOfSequence, result.StopReason);
        Assert.Equal(Script, result.Text);
        Assert.Equal(script, result.GeneratedTokens);
        // "😀B" could begin "😀B!" until the end token settles it: it comes with the last update.
        Assert.Equal(["A", "é€", "😀B"], updates.Select(u => u.Text));
        Assert.True(updates[^1].IsFinal);
        AssertUpdatesAddUp(updates, result);
    }

    [Fact]
    public void A_stop_sequence_inside_a_surrogate_pair_boundary_and_the_last_token_both_stop()
    {
        using var llama = LoadScripted(out int start, out int[] script);
        var generator = new TextGenerator(llama);

        GenerationResult emoji = generator.Generate([start], Options("😀"));
        Assert.Equal(("Aé€", StopReason.StopSequence, 10), (emoji.Text, emoji.StopReason, emoji.GeneratedTokens.Count));

        GenerationResult last = generator.Generate([start], Options("B"));
        Assert.Equal(("Aé€😀", StopReason.StopSequence), (last.Text, last.StopReason));
        Assert.Equal(script, last.GeneratedTokens);

        // The earliest to complete wins, even when a longer one started earlier: "€😀" completes before "Aé€😀B".
        GenerationResult earliest = generator.Generate([start], Options("Aé€😀B", "€😀"));
        Assert.Equal("Aé", earliest.Text);
    }

    [Fact]
    public async Task A_stop_sequence_spanning_token_boundaries_on_a_random_model_cuts_the_text_where_it_starts()
    {
        using GgufFile file = TestModels.Open(TestModels.Gqa);
        using var llama = LlamaModel.Load(file);
        var generator = new TextGenerator(llama);
        var plain = new GenerationOptions { MaxTokens = 40, StopAtEndOfSequence = false };
        GenerationResult full = generator.Generate("The keeper wrote the time", plain);

        // Where each generated token's text ends in the full text.
        var streamer = llama.Tokenizer.CreateStreamer();
        var ends = new List<int>();
        int length = 0;
        foreach (int token in full.GeneratedTokens)
            ends.Add(length += streamer.Append(token).Length);

        var random = new Random(31);
        int checkedCases = 0;
        for (int attempt = 0; attempt < 200 && checkedCases < 6; attempt++)
        {
            // A boundary between two tokens' text, and a stop sequence of 2 to 6 characters across it.
            int boundary = ends[random.Next(ends.Count - 1)];
            int from = boundary - random.Next(1, 4), to = boundary + random.Next(1, 4);
            if (from < 0 || to > ends[^1])
                continue;
            string stop = full.Text[from..to];
            int at = full.Text.IndexOf(stop, StringComparison.Ordinal);
            int completedBy = ends.FindIndex(end => end >= at + stop.Length); // the token whose text completes it

            var updates = new List<GenerationUpdate>();
            GenerationResult result = await Collect(generator.GenerateStreamingAsync("The keeper wrote the time", plain with { StopSequences = [stop] }), updates);
            Assert.Equal(StopReason.StopSequence, result.StopReason);
            Assert.Equal(full.Text[..at], result.Text);
            Assert.Equal(full.GeneratedTokens.Take(completedBy + 1), result.GeneratedTokens);
            AssertUpdatesAddUp(updates, result);
            checkedCases++;
        }
        Assert.Equal(6, checkedCases);
    }

    /// <summary>The matcher against a character-by-character reference, on random text (ASCII, two- and three-byte
    /// characters and surrogate pairs) cut into random pieces, with random stop sequences taken from it or not.</summary>
    [Fact]
    public void Matcher_agrees_with_a_character_by_character_reference_for_any_cut_into_pieces()
    {
        string[] alphabet = ["a", "b", " ", "é", "€", "😀", "ß"];
        var random = new Random(Environment.TickCount);
        for (int trial = 0; trial < 2_000; trial++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(1, 16)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            string[] stops = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomStop(random, text, alphabet)).ToArray();
            string where = $"text \"{text}\", stops [{string.Join(", ", stops.Select(s => $"\"{s}\""))}]";

            var matcher = new StopSequenceMatcher(stops);
            var released = new StringBuilder();
            int fed = 0;
            foreach (string piece in CutIntoPieces(random, text))
            {
                fed += piece.Length;
                released.Append(matcher.Append(piece));
                if (matcher.Stopped)
                    break;
                // Exactly what cannot begin a stop sequence is out; the rest waits.
                Assert.True(released.ToString() == text[..(fed - HeldBack(text[..fed], stops))], $"{where}: after {fed} characters, released \"{released}\"");
            }
            if (!matcher.Stopped)
                released.Append(matcher.Flush());

            (string expected, bool stopped) = Reference(text, stops);
            Assert.True(expected == released.ToString(), $"{where}: expected \"{expected}\", got \"{released}\"");
            Assert.Equal(stopped, matcher.Stopped);
        }
    }

    [Fact]
    public void Matcher_never_splits_a_surrogate_pair_when_holding_back()
    {
        // A stop sequence that starts with a lone low surrogate (malformed, but a string the options accept).
        var matcher = new StopSequenceMatcher(["\uDE00x"]);
        Assert.Equal("a", matcher.Append("a😀")); // 😀 = D83D DE00: its low half could start the stop, so the pair waits
        Assert.Equal("😀b", matcher.Append("b"));
    }

    [Fact]
    public void Options_reject_null_and_empty_stop_sequences_naming_the_entry()
    {
        Assert.Throws<ArgumentNullException>(() => new GenerationOptions { StopSequences = null! });
        var empty = Assert.Throws<ArgumentException>(() => new GenerationOptions { StopSequences = ["ok", ""] });
        Assert.Equal(nameof(GenerationOptions.StopSequences), empty.ParamName);
        Assert.Contains("StopSequences[1] is empty", empty.Message, StringComparison.Ordinal);
        var nulled = Assert.Throws<ArgumentException>(() => new GenerationOptions { StopSequences = [null!] });
        Assert.Contains("StopSequences[0] is null", nulled.Message, StringComparison.Ordinal);

        // The options keep a copy: changing the caller's list later changes nothing.
        var list = new List<string> { "x" };
        var options = new GenerationOptions { StopSequences = list };
        list[0] = "y";
        Assert.Equal(["x"], options.StopSequences);
    }

    private static LlamaModel LoadScripted(out int start, out int[] script)
    {
        script = ScriptedModel.ByteTokens(Script);
        start = 'Z';
        return LlamaModel.Load(GgufFile.Parse(ScriptedModel.Create(start, script)));
    }

    private static async Task<GenerationResult> Collect(IAsyncEnumerable<GenerationUpdate> stream, List<GenerationUpdate> updates)
    {
        await foreach (GenerationUpdate update in stream)
            updates.Add(update);
        return updates[^1].Result!;
    }

    /// <summary>The updates' text and tokens add up to the result's; only the last is final; only it may be empty.</summary>
    private static void AssertUpdatesAddUp(List<GenerationUpdate> updates, GenerationResult result)
    {
        Assert.Equal(result.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(result.GeneratedTokens, updates.SelectMany(u => u.Tokens));
        Assert.All(updates[..^1], u => Assert.False(u.IsFinal));
        Assert.All(updates[..^1], u => Assert.NotEmpty(u.Text));
        Assert.Same(result, updates[^1].Result);
    }

    private static string RandomStop(Random random, string text, string[] alphabet)
    {
        if (random.Next(3) > 0)
        {
            // A piece of the text, cut at character (not surrogate) boundaries.
            var starts = Enumerable.Range(0, text.Length).Where(i => !char.IsLowSurrogate(text[i])).ToArray();
            int from = starts[random.Next(starts.Length)];
            int to = Math.Min(text.Length, from + random.Next(1, 5));
            if (to < text.Length && char.IsLowSurrogate(text[to]))
                to++;
            return text[from..to];
        }
        return string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => alphabet[random.Next(alphabet.Length)]));
    }

    /// <summary>Random pieces of whole characters (a token's text never ends mid-character).</summary>
    private static IEnumerable<string> CutIntoPieces(Random random, string text)
    {
        int start = 0;
        while (start < text.Length)
        {
            int end = Math.Min(text.Length, start + random.Next(0, 4));
            if (end < text.Length && char.IsLowSurrogate(text[end]))
                end++;
            yield return text[start..end];
            start = end;
        }
    }

    /// <summary>Scanning one character at a time: the first stop sequence to be complete ends the text where it starts.</summary>
    private static (string Text, bool Stopped) Reference(string text, string[] stops)
    {
        for (int end = 1; end <= text.Length; end++)
        {
            int best = -1;
            foreach (string stop in stops)
            {
                if (end >= stop.Length && text.AsSpan(end - stop.Length, stop.Length).SequenceEqual(stop) && (best < 0 || end - stop.Length < best))
                    best = end - stop.Length;
            }
            if (best >= 0)
                return (text[..best], true);
        }
        return (text, false);
    }

    /// <summary>The longest end of <paramref name="seen"/> that is a proper start of a stop sequence, widened over a
    /// surrogate pair it would split.</summary>
    private static int HeldBack(string seen, string[] stops)
    {
        for (int length = seen.Length; length > 0; length--)
        {
            string end = seen[^length..];
            if (stops.Any(s => s.Length > length && s.StartsWith(end, StringComparison.Ordinal)))
                return length < seen.Length && char.IsLowSurrogate(seen[^length]) && char.IsHighSurrogate(seen[^(length + 1)]) ? length + 1 : length;
        }
        return 0;
    }
}
