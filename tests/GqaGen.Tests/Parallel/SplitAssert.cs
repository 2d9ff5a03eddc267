using System.Runtime.InteropServices;

namespace GqaGen.Tests.Parallel;

/// <summary>Bit-level comparisons and NaN poisoning for the split-decode tests.</summary>
internal static class SplitAssert
{
    /// <summary>Fails unless the two spans hold the same bits, naming the first element that differs.</summary>
    public static void Identical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        ReadOnlySpan<int> e = MemoryMarshal.Cast<float, int>(expected), a = MemoryMarshal.Cast<float, int>(actual);
        int first = e.CommonPrefixLength(a);
        Assert.True(first == e.Length,
            $"{context}: {what}[{first}] is {(first < a.Length ? actual[first].ToString("R") : "?")}, expected {(first < e.Length ? expected[first].ToString("R") : "?")} bit for bit.");
    }

    /// <summary>
    /// What a split decode should return up to the rounding of its own merge: <paramref name="attention"/>'s result for
    /// each chunk of <see cref="SplitKvDecode.Chunk"/>, merged in double, out = Σ_c exp(lse_c − lse)·out_c with
    /// lse = log Σ_c exp(lse_c).
    /// </summary>
    public static (float[] Output, float[] LogSumExp) ExactMergeOfChunks(GqaAttention attention, ReadOnlySpan<float> query, KvCache cache,
        int layer, KvRange attended, int chunks)
    {
        GqaShape shape = attention.Shape;
        int d = shape.HeadDim;
        var parts = new (float[] Output, float[] LogSumExp)[chunks];
        for (int c = 0; c < chunks; c++)
        {
            parts[c] = (Poisoned(shape.QueryLength), Poisoned(shape.Heads));
            attention.Decode(query, cache, layer, SplitKvDecode.Chunk(attended, chunks, c), parts[c].Output, parts[c].LogSumExp);
        }
        var output = new float[shape.QueryLength];
        var logSumExp = new float[shape.Heads];
        for (int h = 0; h < shape.Heads; h++)
        {
            double max = parts.Max(part => (double)part.LogSumExp[h]);
            double total = max + Math.Log(parts.Sum(part => Math.Exp(part.LogSumExp[h] - max)));
            logSumExp[h] = (float)total;
            for (int i = 0; i < d; i++)
                output[h * d + i] = (float)parts.Sum(part => Math.Exp(part.LogSumExp[h] - total) * part.Output[h * d + i]);
        }
        return (output, logSumExp);
    }

    /// <summary>A new array of <paramref name="length"/> NaNs: an element the decode does not write stays NaN and fails the finiteness check.</summary>
    public static float[] Poisoned(int length)
    {
        var array = new float[length];
        array.AsSpan().Fill(float.NaN);
        return array;
    }
}
