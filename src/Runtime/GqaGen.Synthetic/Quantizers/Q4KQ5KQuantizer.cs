namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// Q4_K and Q5_K super-blocks of 256 as ggml's <c>quantize_row_q4_K_ref</c>, <c>quantize_row_q5_K_ref</c> and their
/// <c>dequantize_row_*</c> (llama.cpp c392e5094). Both hold eight 32-element groups, each with a 6-bit scale and a
/// 6-bit minimum under two half-precision super-scales; value = d·scale·q − dmin·min.
/// Layouts: Q4_K (144 bytes) = { half d; half dmin; u8 scales[12]; u8 qs[128] }, Q5_K (176 bytes) adds
/// u8 qh[32] (the fifth bit) before qs. In qs, the 64-element chunk c holds element 64c + l in the low nibble of
/// byte 32c + l and element 64c + 32 + l in its high nibble.
/// </summary>
internal static class Q4KQ5KQuantizer
{
    public const int Q4BlockBytes = 144;
    public const int Q5BlockBytes = 176;

    private const int Groups = QuantMath.SuperBlock / 32;
    private const int DOffset = 0, DminOffset = 2, ScalesOffset = 4, Q4QsOffset = 16, Q5QhOffset = 16, Q5QsOffset = 48;

    /// <summary>Q4_K: 4-bit quants; the group fit sweeps 21 trial scales from nmax − 1 in steps of 0.1.</summary>
    public static void QuantizeQ4K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[QuantMath.SuperBlock];
        QuantizeScalesAndQuants(x, y, L, nmax: 15, rmin: -1f, rdelta: 0.1f, nstep: 20);
        var qs = y.Slice(Q4QsOffset, 128);
        for (int j = 0, at = 0; j < QuantMath.SuperBlock; j += 64, at += 32)
            for (int l = 0; l < 32; l++)
                qs[at + l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
    }

    /// <summary>Q5_K: 5-bit quants (the fifth bit of element 64c + l at bit 2c of qh[l], of 64c + 32 + l at bit
    /// 2c + 1); the group fit sweeps 16 trial scales from nmax − 0.5.</summary>
    public static void QuantizeQ5K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[QuantMath.SuperBlock];
        QuantizeScalesAndQuants(x, y, L, nmax: 31, rmin: -0.5f, rdelta: 0.1f, nstep: 15);
        var qh = y.Slice(Q5QhOffset, 32);
        var qs = y.Slice(Q5QsOffset, 128);
        qh.Clear();
        int m1 = 1, m2 = 2;
        for (int n = 0, at = 0; n < QuantMath.SuperBlock; n += 64, at += 32)
        {
            for (int j = 0; j < 32; j++)
            {
                int l1 = L[n + j];
                if (l1 > 15)
                {
                    l1 -= 16;
                    qh[j] |= (byte)m1;
                }
                int l2 = L[n + j + 32];
                if (l2 > 15)
                {
                    l2 -= 16;
                    qh[j] |= (byte)m2;
                }
                qs[at + j] = (byte)(l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    /// <summary>The shared part: group fits weighted by rms(group) + |x|, 6-bit scales and minimums, the
    /// half-precision super-scales, and the final quants against the stored values, left in <paramref name="L"/>.</summary>
    private static void QuantizeScalesAndQuants(ReadOnlySpan<float> x, Span<byte> y, Span<byte> L, int nmax, float rmin, float rdelta, int nstep)
    {
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[Groups];
        Span<float> scales = stackalloc float[Groups];

        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < Groups; j++)
        {
            var group = x.Slice(32 * j, 32);
            float sumX2 = 0;
            for (int l = 0; l < 32; l++)
                sumX2 += group[l] * group[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++)
                weights[l] = avX + MathF.Abs(group[l]);
            scales[j] = KQuantSolvers.MakeQkx2Quants(group, nmax, weights, L.Slice(32 * j, 32), out mins[j], Laux, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }

        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        var packed = y.Slice(ScalesOffset, 12);
        for (int j = 0; j < Groups; j++)
        {
            // ggml stores nearest_int's result in a uint8_t before capping it at 63.
            byte ls = Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * scales[j]));
            byte lm = Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[j]));
            if (j < 4)
            {
                packed[j] = ls;
                packed[j + 4] = lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }
        QuantMath.WriteHalf(y[DOffset..], maxScale / 63f);
        QuantMath.WriteHalf(y[DminOffset..], maxMin / 63f);

        // Re-quantize against the stored scales; a group whose scale is zero keeps its first quants.
        float d = QuantMath.ReadHalf(y[DOffset..]), dmin = QuantMath.ReadHalf(y[DminOffset..]);
        for (int j = 0; j < Groups; j++)
        {
            ScaleMin(packed, j, out int sc, out int m);
            float dl = d * sc;
            if (dl == 0)
                continue;
            float dm = dmin * m;
            for (int ii = 0; ii < 32; ii++)
                L[32 * j + ii] = (byte)Math.Clamp(QuantMath.NearestInt((x[32 * j + ii] + dm) / dl), 0, nmax);
        }
    }

    public static void DequantizeQ4K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x[DOffset..]), dmin = QuantMath.ReadHalf(x[DminOffset..]);
        var packed = x.Slice(ScalesOffset, 12);
        for (int e = 0; e < QuantMath.SuperBlock; e++)
        {
            byte b = x[Q4QsOffset + (e / 64) * 32 + e % 32];
            int q = (e / 32) % 2 == 0 ? b & 0xF : b >> 4;
            ScaleMin(packed, e / 32, out int sc, out int m);
            float dl = d * sc, ml = dmin * m;
            y[e] = dl * q - ml;
        }
    }

    public static void DequantizeQ5K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x[DOffset..]), dmin = QuantMath.ReadHalf(x[DminOffset..]);
        var packed = x.Slice(ScalesOffset, 12);
        for (int e = 0; e < QuantMath.SuperBlock; e++)
        {
            byte b = x[Q5QsOffset + (e / 64) * 32 + e % 32];
            int q = (e / 32) % 2 == 0 ? b & 0xF : b >> 4;
            q += ((x[Q5QhOffset + e % 32] >> (e / 32)) & 1) << 4;
            ScaleMin(packed, e / 32, out int sc, out int m);
            float dl = d * sc, ml = dmin * m;
            y[e] = dl * q - ml;
        }
    }

    /// <summary>Group <paramref name="j"/>'s 6-bit scale and minimum (ggml's <c>get_scale_min_k4</c>): groups 0–3 in
    /// the low six bits of bytes j and j + 4; groups 4–7 in the nibbles of byte j + 4 with their top two bits in the
    /// high bits of bytes j − 4 and j.</summary>
    private static void ScaleMin(ReadOnlySpan<byte> packed, int j, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = packed[j] & 63;
            min = packed[j + 4] & 63;
        }
        else
        {
            scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
            min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
        }
    }
}
