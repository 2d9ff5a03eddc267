namespace GqaGen.Tests.Support;

/// <summary>
/// llama.cpp's <c>block_q8_0</c> (ggml/src/ggml-common.h: a <c>ggml_half d</c> then <c>int8_t qs[32]</c>, 34 bytes)
/// and its reference quantizer, transliterated from <c>quantize_row_q8_0_ref</c> in ggml/src/ggml-quants.c:
/// <code>
/// amax = 0; for j: amax = MAX(amax, fabsf(x[j]));   // MAX(a, b) is ((a) > (b) ? (a) : (b))
/// d = amax / ((1 &lt;&lt; 7) - 1);  id = d ? 1.0f/d : 0.0f;
/// y.d = GGML_FP32_TO_FP16(d);                         // round to nearest even
/// for j: y.qs[j] = roundf(x[j]*id);                   // halves away from zero, with the unrounded id
/// </code>
/// The fp16 conversion is <see cref="HalfOracle"/>'s and roundf is written out in double, so nothing here is shared
/// with the runtime's <c>Q8_0Rows</c>. Rows whose length is not a multiple of 32 are padded with zeros, as the
/// runtime documents (ggml itself asserts whole blocks).
/// </summary>
internal static class Q8_0Oracle
{
    public const int BlockElements = 32;
    public const int BlockBytes = 34;

    /// <summary>Bytes of a row of <paramref name="headDim"/> elements: whole blocks.</summary>
    public static int RowBytes(int headDim) => (headDim + BlockElements - 1) / BlockElements * BlockBytes;

    /// <summary>The blocks of <paramref name="row"/> as ggml's reference quantizer writes them.</summary>
    /// <exception cref="ArgumentException">A block's scale leaves ggml's defined range: <c>1/d</c> overflows (max|x|
    /// below about 3.7e-37, where ggml converts ±∞ to int8, which C leaves undefined), <c>d</c> overflows a half
    /// (max|x| ≥ 65,520·127, where ggml stores ∞), or an element is NaN.</exception>
    public static byte[] Quantize(ReadOnlySpan<float> row)
    {
        var bytes = new byte[RowBytes(row.Length)];
        var x = new float[BlockElements];
        for (int block = 0; block * BlockElements < row.Length; block++)
        {
            Array.Clear(x);
            ReadOnlySpan<float> source = row.Slice(block * BlockElements, Math.Min(BlockElements, row.Length - block * BlockElements));
            source.CopyTo(x);

            float amax = 0f;
            foreach (float v in x)
            {
                if (float.IsNaN(v))
                    throw new ArgumentException("ggml's MAX drops a NaN unless it is last, and roundf(NaN) has no int8 value: NaN is outside the oracle.", nameof(row));
                float a = MathF.Abs(v);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            if (float.IsInfinity(id))
                throw new ArgumentException($"max|x| = {amax:R} makes 1/d overflow; ggml's int8 conversion of ±inf is undefined.", nameof(row));
            ushort scale = HalfOracle.RoundToNearestEven(d);
            if ((scale & 0x7FFF) == HalfOracle.InfinityBits)
                throw new ArgumentException($"max|x| = {amax:R} makes d overflow a half; ggml stores infinity there.", nameof(row));

            int at = block * BlockBytes;
            bytes[at] = (byte)scale;
            bytes[at + 1] = (byte)(scale >> 8);
            for (int j = 0; j < BlockElements; j++)
            {
                double q = RoundHalfAwayFromZero(x[j] * id);
                if (q is < sbyte.MinValue or > sbyte.MaxValue)
                    throw new InvalidOperationException($"roundf({x[j] * id:R}) = {q} does not fit int8 (cannot happen for a finite block).");
                bytes[at + 2 + j] = (byte)(sbyte)q;
            }
        }
        return bytes;
    }

    /// <summary>Element <paramref name="element"/> of a quantized row: q·d, exact in float (an 8-bit q times an
    /// 11-bit half significand).</summary>
    public static float Dequantize(ReadOnlySpan<byte> row, int element)
    {
        int at = element / BlockElements * BlockBytes;
        double d = HalfOracle.Value((ushort)(row[at] | row[at + 1] << 8));
        return (float)((sbyte)row[at + 2 + element % BlockElements] * d);
    }

    /// <summary>C's roundf: the nearest integer, halves away from zero. |v| + 0.5 is exact in double for a float v.</summary>
    public static double RoundHalfAwayFromZero(float v)
    {
        double magnitude = Math.Floor(Math.Abs((double)v) + 0.5);
        return v < 0 ? -magnitude : magnitude;
    }
}
