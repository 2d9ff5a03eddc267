using System.Text.Unicode;

namespace GqaGen.Llama.Tokenization;

/// <summary>Turns tokens into text as they are generated, holding back an incomplete UTF-8 sequence (a character
/// whose bytes arrive as several byte tokens, or a byte-level token that ends mid-character) until it is complete.</summary>
/// <remarks>
/// Each token contributes the piece llama.cpp's <c>token_to_piece</c> gives it, spaces included, so a generated
/// <c>"▁Hello"</c> prints as <c>" Hello"</c>; control tokens print nothing. The text is the one
/// <see cref="GgufTokenizer.Decode"/> gives, except that the first token's leading space is kept (the stream usually
/// continues a prompt). Bytes that cannot be UTF-8 print as U+FFFD. Not thread-safe: one streamer per generation.
/// </remarks>
public sealed class TokenStreamer
{
    private readonly GgufTokenizer _tokenizer;
    private byte[] _pending = new byte[32];
    private int _pendingLength;

    internal TokenStreamer(GgufTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds <paramref name="token"/> and returns the text that is now complete (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="token"/> is not a token id of the tokenizer.</exception>
    public string Append(int token)
    {
        ReadOnlySpan<byte> piece = _tokenizer.PieceBytes(token, nameof(token));
        if (piece.IsEmpty)
            return string.Empty;
        if (_pendingLength + piece.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + piece.Length));
        piece.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += piece.Length;
        return Drain(isFinalBlock: false);
    }

    /// <summary>Returns whatever is held back, an incomplete sequence printing as U+FFFD, and empties the streamer.</summary>
    public string Flush() => Drain(isFinalBlock: true);

    private string Drain(bool isFinalBlock)
    {
        if (_pendingLength == 0)
            return string.Empty;
        // Every byte gives at most one UTF-16 character (a 4-byte sequence gives 2), so this always fits.
        char[] chars = new char[_pendingLength];
        Utf8.ToUtf16(_pending.AsSpan(0, _pendingLength), chars, out int bytesRead, out int charsWritten,
            replaceInvalidSequences: true, isFinalBlock: isFinalBlock);
        _pending.AsSpan(bytesRead, _pendingLength - bytesRead).CopyTo(_pending);
        _pendingLength -= bytesRead;
        return new string(chars, 0, charsWritten);
    }
}
