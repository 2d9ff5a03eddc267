namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// Q3_K super-blocks of 256 as ggml's <c>quantize_row_q3_K_ref</c> and <c>dequantize_row_q3_K</c> (llama.cpp
/// c392e5094). Layout (110 bytes): u8 hmask[32] (third bit of each quant), u8 qs[64] (low two bits), u8 scales[12]
/// (sixteen 6-bit signed group scales, offset by 32), half d; value = d·(scale − 32)·(q − 4).
/// </summary>
internal static class Q3KQuantizer
{
    public const int BlockBytes = 110;

    private const int Groups = QuantMath.SuperBlock / 16;
    private const int HmaskOffset = 0, QsOffset = 32, ScalesOffset = 96, DOffset = 108;

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> L = stackalloc sbyte[QuantMath.SuperBlock];
        Span<float> scales = stackalloc float[Groups];

        // Each group of 16: a symmetric 3-bit fit; keep the signed scale of largest magnitude.
        float maxScale = 0, amax = 0;
        for (int j = 0; j < Groups; j++)
        {
            scales[j] = KQuantSolvers.MakeQ3Quants(x.Slice(16 * j, 16), 4, L.Slice(16 * j, 16));
            float scale = MathF.Abs(scales[j]);
            if (scale > amax)
            {
                amax = scale;
                maxScale = scales[j];
            }
        }

        // Group scales as 6-bit signed multiples of d: low nibbles in scales[0..8) (two per byte), the top two bits
        // of group j at bits 2·(j/4) of scales[8 + j%4].
        var packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        if (maxScale != 0)
        {
            float iscale = -32f / maxScale;
            for (int j = 0; j < Groups; j++)
            {
                int l = (sbyte)QuantMath.NearestInt(iscale * scales[j]);
                l = Math.Clamp(l, -32, 31) + 32;
                if (j < 8)
                    packed[j] = (byte)(l & 0xF);
                else
                    packed[j - 8] |= (byte)((l & 0xF) << 4);
                packed[j % 4 + 8] |= (byte)((l >> 4) << (2 * (j / 4)));
            }
            QuantMath.WriteHalf(y[DOffset..], 1 / iscale);
        }
        else
        {
            QuantMath.WriteHalf(y[DOffset..], 0f);
        }

        // Re-quantize against the stored scales; groups whose scale is zero keep their first quants.
        float d = QuantMath.ReadHalf(y[DOffset..]);
        for (int j = 0; j < Groups; j++)
        {
            float dl = d * GroupScale(packed, j);
            if (dl == 0)
                continue;
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = (sbyte)(Math.Clamp(QuantMath.NearestInt(x[16 * j + ii] / dl), -4, 3) + 4);
        }

        // The third bit of element j goes to bit j/32 of hmask[j % 32]; the low two bits pack as in Q2_K.
        var hmask = y.Slice(HmaskOffset, 32);
        hmask.Clear();
        for (int j = 0; j < QuantMath.SuperBlock; j++)
        {
            if (L[j] > 3)
            {
                hmask[j % 32] |= (byte)(1 << (j / 32));
                L[j] -= 4;
            }
        }
        var qs = y.Slice(QsOffset, 64);
        for (int j = 0; j < QuantMath.SuperBlock; j += 128)
            for (int l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)((byte)L[j + l] | ((byte)L[j + l + 32] << 2) | ((byte)L[j + l + 64] << 4) | ((byte)L[j + l + 96] << 6));
    }

    public static void Dequantize(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x[DOffset..]);
        var packed = x.Slice(ScalesOffset, 12);
        for (int e = 0; e < QuantMath.SuperBlock; e++)
        {
            int low = (x[QsOffset + (e / 128) * 32 + e % 32] >> (2 * (e % 128 / 32))) & 3;
            bool high = ((x[HmaskOffset + e % 32] >> (e / 32)) & 1) != 0;
            float dl = d * GroupScale(packed, e / 16);
            y[e] = dl * (low - (high ? 0 : 4));
        }
    }

    /// <summary>Group <paramref name="j"/>'s signed scale, −32…31.</summary>
    private static int GroupScale(ReadOnlySpan<byte> packed, int j)
    {
        int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
        int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        return (low | (high << 4)) - 32;
    }
}
