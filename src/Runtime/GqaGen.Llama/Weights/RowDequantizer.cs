using System.Runtime.Intrinsics;

namespace GqaGen.Llama;

/// <summary>Writes one weight row out as floats (embedding lookup), with the same exact dequantization as the
/// matrix-vector kernels.</summary>
internal static unsafe class RowDequantizer
{
    /// <summary>Effectively computes <c>destination[c] = W[row, c]</c> for the <paramref name="columns"/> weights whose
    /// bytes start at <paramref name="row"/>. No argument is checked.</summary>
    public static void Dequantize<TFormat>(byte* row, int columns, float* destination)
        where TFormat : IWeightFormat
    {
        int groups = columns / WeightBlock.Elements;
        int groupsPerBlock = TFormat.BlockElements / WeightBlock.Elements;
        float* d = destination;
        for (int k = 0; k < groups; k++, d += WeightBlock.Elements)
        {
            byte* block = row + (nint)(k / groupsPerBlock) * TFormat.BlockBytes;
            int group = k % groupsPerBlock;
            if (Vector512.IsHardwareAccelerated)
            {
                TFormat.Load(block, group, out Vector512<float> w0, out Vector512<float> w1);
                w0.Store(d);
                w1.Store(d + 16);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                TFormat.Load(block, group, out Vector256<float> w0, out Vector256<float> w1, out Vector256<float> w2, out Vector256<float> w3);
                w0.Store(d);
                w1.Store(d + 8);
                w2.Store(d + 16);
                w3.Store(d + 24);
            }
            else
            {
                for (int i = 0; i < WeightBlock.Elements; i++)
                    d[i] = TFormat.Element(block, group * WeightBlock.Elements + i);
            }
        }

        // Only element formats (32-weight blocks) end in a partial group.
        int partial = columns - groups * WeightBlock.Elements;
        if (partial > 0)
        {
            byte* block = row + (nint)groups * TFormat.BlockBytes;
            for (int i = 0; i < partial; i++)
                d[i] = TFormat.Element(block, i);
        }
    }
}
