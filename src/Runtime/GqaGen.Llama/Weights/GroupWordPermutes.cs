using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>
/// The two word permutes of <see cref="QuantBits.Words16"/> for one block layout, computed once per multiply, on the
/// stack (written as 32 computed constants inside the kernel they overran the JIT's inlining budget, and the kernel ran
/// 4× slower; kept in a static field per format and read by the kernel, about 20 % slower than built per call): the
/// first picks words from a group's first 128 bytes, the second keeps those or takes the rest from its last 64.
/// </summary>
internal readonly struct GroupWordPermutes
{
    /// <summary>Indices into the group's bytes 0..127 (words 0..63).</summary>
    public readonly Vector512<short> First;

    /// <summary>Indices into the first permute's result (0..31) or the group's last 64 bytes (32..63).</summary>
    public readonly Vector512<short> Second;

    /// <summary>Lanes 0..15: the two words of each block's first four bytes; lanes 16..31: of the four bytes at
    /// <paramref name="secondOffset"/> (even). Blocks of <paramref name="blockBytes"/> (18 to 24), eight to a group.</summary>
    public GroupWordPermutes(int blockBytes, int secondOffset)
    {
        Span<short> first = stackalloc short[32];
        Span<short> second = stackalloc short[32];
        int backWord = (8 * blockBytes - 64) / 2;
        for (int lane = 0; lane < 32; lane++)
        {
            int offset = lane < 16 ? 0 : secondOffset;
            int word = (lane % 16 / 2 * blockBytes + offset + 2 * (lane % 2)) / 2;
            first[lane] = (short)(word < 64 ? word : 0);
            second[lane] = (short)(word < 64 ? lane : 32 + word - backWord);
        }
        First = Vector512.Create<short>(first);
        Second = Vector512.Create<short>(second);
    }
}
