using Microsoft.Extensions.AI;
using GqaGen.Server;

namespace GqaGen.Server.Tests.Support;

/// <summary>
/// The fake model's "generation": deterministic text from the input, so a test can compute what any request must
/// return. The answer is the source text reversed, cut before the first stop sequence (finish "stop"), in pieces of 1,
/// 2, 3, 1, 2, 3… characters, one piece per "token", at most MaxOutputTokens pieces (finish "length"). One character of
/// prompt is one prompt token.
/// </summary>
internal static class FakeText
{
    /// <summary>The updates for <paramref name="source"/>: the pieces, then a last update with the finish reason and usage.</summary>
    public static List<TextCompletionUpdate> Updates(string source, int promptTokens, ChatOptions? options)
    {
        string answer = Reverse(source);
        ChatFinishReason reason = ChatFinishReason.Stop;
        int cut = answer.Length;
        foreach (string stop in options?.StopSequences ?? [])
        {
            int at = answer.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
                cut = Math.Min(cut, at);
        }
        answer = answer[..cut];

        var pieces = Pieces(answer);
        if (options?.MaxOutputTokens is int max && pieces.Count > max)
        {
            pieces = pieces[..max];
            reason = ChatFinishReason.Length;
        }

        var updates = pieces.Select(piece => new TextCompletionUpdate(piece)).ToList();
        updates.Add(new TextCompletionUpdate("", reason, new UsageDetails
        {
            InputTokenCount = promptTokens,
            OutputTokenCount = pieces.Count,
            TotalTokenCount = promptTokens + pieces.Count,
        }));
        return updates;
    }

    /// <summary>The whole answer for <paramref name="source"/> with no limits: its reverse.</summary>
    public static string Reverse(string source)
    {
        char[] chars = source.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>The "tokens" of <paramref name="text"/>: pieces of 1, 2, 3, 1, 2, 3… characters.</summary>
    public static List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        for (int start = 0, i = 0; start < text.Length; i++)
        {
            int length = Math.Min(i % 3 + 1, text.Length - start);
            pieces.Add(text.Substring(start, length));
            start += length;
        }
        return pieces;
    }

    /// <summary>Random text of BMP letters (ASCII, accented, CJK) and spaces, never a surrogate pair, so that
    /// reversing it by chars keeps it valid.</summary>
    public static string RandomText(Random random, int minLength, int maxLength)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     .,!?éüßñ中文字–\"'\\/<>{}";
        int length = random.Next(minLength, maxLength + 1);
        return string.Create(length, random, (span, r) =>
        {
            for (int i = 0; i < span.Length; i++)
                span[i] = alphabet[r.Next(alphabet.Length)];
        });
    }
}
