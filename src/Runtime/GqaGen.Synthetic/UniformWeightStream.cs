namespace GqaGen.Synthetic;

/// <summary>
/// Reproducible uniform values in [-1, 1) for one tensor: value <c>i</c> is a hash of (tensor key, i), so any
/// range can be produced on its own, in any order, and the same seed and tensor name always give the same weights on
/// every machine and .NET version (unlike <see cref="Random"/>, whose algorithm is not guaranteed across versions).
/// </summary>
/// <remarks>The hash is SplitMix64's finalizer over a Weyl sequence (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014): a few multiplies per value, so the 1.1-billion-weight TinyLlama
/// shape fills in seconds.</remarks>
internal readonly struct UniformWeightStream
{
    private const ulong Golden = 0x9E37_79B9_7F4A_7C15ul;

    private readonly ulong _key;

    /// <summary>The stream of tensor <paramref name="tensorName"/> in the model seeded with <paramref name="seed"/>.</summary>
    public UniformWeightStream(int seed, string tensorName)
    {
        // FNV-1a over the name: stable across runs, unlike string.GetHashCode.
        ulong nameHash = 0xCBF2_9CE4_8422_2325ul;
        foreach (char c in tensorName)
        {
            nameHash ^= c;
            nameHash *= 0x0000_0100_0000_01B3ul;
        }
        _key = Mix((ulong)(uint)seed ^ Mix(nameHash));
    }

    /// <summary>Writes values <c>start</c> … <c>start + destination.Length - 1</c> of the stream.</summary>
    public void Fill(long start, Span<float> destination)
    {
        // The top 24 bits of each hash, centred: every value is k / 2^23 for an integer k in [-2^23, 2^23).
        const float step = 1f / (1 << 23);
        for (int i = 0; i < destination.Length; i++)
        {
            ulong bits = Mix(_key + (ulong)(start + i) * Golden);
            destination[i] = ((int)(bits >> 40) - (1 << 23)) * step;
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBul;
        return z ^ (z >> 31);
    }
}
