namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// Q2_K super-blocks of 256 as ggml's <c>quantize_row_q2_K_ref</c> and <c>dequantize_row_q2_K</c> (llama.cpp
/// c392e5094). Layout (84 bytes): u8 scales[16] (low nibble: the 16-element group's scale, high nibble: its minimum),
/// u8 qs[64] (2-bit quants), half d, half dmin; value = d·scale·q − dmin·min.
/// </summary>
internal static class Q2KQuantizer
{
    public const int BlockBytes = 84;

    private const int Groups = QuantMath.SuperBlock / 16;
    private const int ScalesOffset = 0, QsOffset = 16, DOffset = 80, DminOffset = 82;

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[QuantMath.SuperBlock];
        Span<byte> Laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[Groups];
        Span<float> scales = stackalloc float[Groups];
        const float q4scale = 15f;

        // Each group of 16: an affine 2-bit fit weighted by |x|, scored by absolute error.
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < Groups; j++)
        {
            var group = x.Slice(16 * j, 16);
            for (int l = 0; l < 16; l++)
                weights[l] = MathF.Abs(group[l]);
            scales[j] = KQuantSolvers.MakeQkx2Quants(group, 3, weights, L.Slice(16 * j, 16), out mins[j], Laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }

        // The groups' scales and minimums as 4-bit multiples of two half-precision super-scales.
        var packed = y.Slice(ScalesOffset, Groups);
        if (maxScale > 0)
        {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < Groups; j++)
                packed[j] = (byte)QuantMath.NearestInt(iscale * scales[j]);
            QuantMath.WriteHalf(y[DOffset..], maxScale / q4scale);
        }
        else
        {
            packed.Clear();
            QuantMath.WriteHalf(y[DOffset..], 0f);
        }
        if (maxMin > 0)
        {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < Groups; j++)
                packed[j] |= (byte)(QuantMath.NearestInt(iscale * mins[j]) << 4);
            QuantMath.WriteHalf(y[DminOffset..], maxMin / q4scale);
        }
        else
        {
            QuantMath.WriteHalf(y[DminOffset..], 0f);
        }

        // Re-quantize against the stored (rounded) scales; a group whose scale rounded to zero keeps its first quants.
        float d = QuantMath.ReadHalf(y[DOffset..]), dmin = QuantMath.ReadHalf(y[DminOffset..]);
        for (int j = 0; j < Groups; j++)
        {
            float dl = d * (packed[j] & 0xF);
            if (dl == 0)
                continue;
            float ml = dmin * (packed[j] >> 4);
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = (byte)Math.Clamp(QuantMath.NearestInt((x[16 * j + ii] + ml) / dl), 0, 3);
        }

        // Four 2-bit quants per byte: element j + l + 32·s sits at bits 2s of qs[j/4 + l], for each 128-element half j.
        var qs = y.Slice(QsOffset, 64);
        for (int j = 0; j < QuantMath.SuperBlock; j += 128)
            for (int l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }

    public static void Dequantize(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x[DOffset..]), dmin = QuantMath.ReadHalf(x[DminOffset..]);
        for (int e = 0; e < QuantMath.SuperBlock; e++)
        {
            int q = (x[QsOffset + (e / 128) * 32 + e % 32] >> (2 * (e % 128 / 32))) & 3;
            byte sc = x[ScalesOffset + e / 16];
            float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
            y[e] = dl * q - ml;
        }
    }
}
