namespace GqaGen.Tests.Support;

/// <summary>
/// An output buffer poisoned with a marked NaN and surrounded by margins of the same marked NaN: the kernel gets
/// only the middle, so any element it fails to write stays NaN (caught by the finiteness check) and any write
/// outside its span changes a margin.
/// </summary>
internal sealed class GuardedBuffer
{
    /// <summary>Elements of margin on each side: more than one Vector512, so an overlapping vector store is caught.</summary>
    public const int Margin = 32;

    // A quiet NaN with a payload no arithmetic produces, so "untouched" means bit-identical, not merely NaN.
    private const int PoisonBits = 0x7FC0_BEEF;

    private readonly float[] _storage;

    public GuardedBuffer(int length)
    {
        Length = length;
        _storage = new float[length + 2 * Margin];
        _storage.AsSpan().Fill(Poison);
    }

    public static float Poison => BitConverter.Int32BitsToSingle(PoisonBits);

    public int Length { get; }

    /// <summary>The span handed to the kernel.</summary>
    public Span<float> Inner => _storage.AsSpan(Margin, Length);

    /// <summary>Fails if any margin element is no longer the poison bit pattern.</summary>
    public void AssertMarginsUntouched(string what)
    {
        for (int i = 0; i < _storage.Length; i++)
        {
            if (i >= Margin && i < Margin + Length)
                continue;
            int offset = i < Margin ? i - Margin : i - Margin - Length + 1;
            Assert.True(BitConverter.SingleToInt32Bits(_storage[i]) == PoisonBits,
                $"{what}: the element {(offset < 0 ? $"{-offset} before" : $"{offset} after")} the {Length}-element span was overwritten with {_storage[i]}.");
        }
    }
}
