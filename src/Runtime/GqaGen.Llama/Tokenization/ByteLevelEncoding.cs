using System.Text;

namespace GqaGen.Llama.Tokenization;

/// <summary>GPT-2's byte-to-character mapping, in which byte-level BPE vocabularies spell their tokens: every byte
/// becomes one visible character, so that a token is a string (a space byte is <c>'Ġ'</c>, a newline <c>'Ċ'</c>).</summary>
/// <remarks>The mapping is GPT-2's <c>bytes_to_unicode</c> (openai/gpt-2 encoder.py), which llama.cpp reproduces as
/// <c>unicode_byte_to_utf8_map</c>: the printable bytes <c>'!'..'~'</c>, <c>'¡'..'¬'</c> and <c>'®'..'ÿ'</c> stand for
/// themselves; the other 68 bytes, in increasing order, become U+0100, U+0101, ... U+0143.</remarks>
internal static class ByteLevelEncoding
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte(); // -1 for characters that stand for no byte

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => ByteToChar[value];

    /// <summary>The byte <paramref name="codepoint"/> stands for, if it stands for one.</summary>
    public static bool TryGetByte(int codepoint, out byte value)
    {
        if ((uint)codepoint < (uint)CharToByte.Length && CharToByte[codepoint] >= 0)
        {
            value = (byte)CharToByte[codepoint];
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Spells the UTF-8 bytes of <paramref name="text"/> in the mapping's characters.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        byte[] utf8 = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, utf8);
        return string.Create(utf8.Length, utf8, static (chars, bytes) =>
        {
            for (int i = 0; i < bytes.Length; i++)
                chars[i] = ByteToChar[bytes[i]];
        });
    }

    /// <summary>The bytes a normal token of a byte-level vocabulary stands for, as llama.cpp's
    /// <c>llama_decode_text</c> computes them: each character's byte, and for a character outside the mapping the
    /// marker <c>[UNK_BYTE_0x</c><i>its UTF-8 in hex</i><i>the whole token</i><c>]</c> that llama.cpp writes.</summary>
    public static byte[] Decode(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (TryGetByte(rune.Value, out byte value))
            {
                bytes.Add(value);
                continue;
            }
            int length = rune.EncodeToUtf8(utf8);
            var marker = new StringBuilder("[UNK_BYTE_0x");
            foreach (byte b in utf8[..length])
                marker.Append(b.ToString("x2"));
            marker.Append(token).Append(']');
            bytes.AddRange(Encoding.UTF8.GetBytes(marker.ToString()));
        }
        return [.. bytes];
    }

    private static bool StandsForItself(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
            map[b] = StandsForItself(b) ? (char)b : (char)(256 + shifted++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
            map[ByteToChar[b]] = (short)b;
        return map;
    }
}
