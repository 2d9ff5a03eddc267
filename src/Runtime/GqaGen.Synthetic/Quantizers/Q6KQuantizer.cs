namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// Q6_K super-blocks of 256 as ggml's <c>quantize_row_q6_K_ref</c> and <c>dequantize_row_q6_K</c> (llama.cpp
/// c392e5094). Layout (210 bytes): u8 ql[128] (low four bits), u8 qh[64] (top two bits), i8 scales[16] (one per
/// 16-element group), half d; value = d·scale·(q − 32).
/// </summary>
internal static class Q6KQuantizer
{
    public const int BlockBytes = 210;

    private const int Groups = QuantMath.SuperBlock / 16;
    private const int QlOffset = 0, QhOffset = 128, ScalesOffset = 192, DOffset = 208;

    public static void Quantize(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> L = stackalloc sbyte[QuantMath.SuperBlock];
        Span<float> scales = stackalloc float[Groups];

        float maxScale = 0, maxAbsScale = 0;
        for (int g = 0; g < Groups; g++)
        {
            float scale = KQuantSolvers.MakeQxQuants(x.Slice(16 * g, 16), 32, L.Slice(16 * g, 16));
            scales[g] = scale;
            if (MathF.Abs(scale) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }

        if (maxAbsScale < QuantMath.GroupMaxEps)
        {
            // An all-zero super-block: every byte zero, d included.
            y[..BlockBytes].Clear();
            return;
        }

        float iscale = -128f / maxScale;
        QuantMath.WriteHalf(y[DOffset..], 1 / iscale);
        var packedScales = y.Slice(ScalesOffset, Groups);
        for (int g = 0; g < Groups; g++)
            packedScales[g] = (byte)(sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[g]));

        // Re-quantize against the stored scales; groups whose scale is zero keep their first quants.
        float d = QuantMath.ReadHalf(y[DOffset..]);
        for (int g = 0; g < Groups; g++)
        {
            float dl = d * (sbyte)packedScales[g];
            if (dl == 0)
                continue;
            for (int ii = 0; ii < 16; ii++)
                L[16 * g + ii] = (sbyte)(Math.Clamp(QuantMath.NearestInt(x[16 * g + ii] / dl), -32, 31) + 32);
        }

        // Per 128 elements: elements l and l + 64 share ql[l] (low, high nibble), l + 32 and l + 96 share ql[l + 32];
        // the top two bits of l, l + 32, l + 64, l + 96 fill qh[l] from the bottom.
        for (int j = 0; j < QuantMath.SuperBlock; j += 128)
        {
            var ql = y.Slice(QlOffset + j / 2, 64);
            var qh = y.Slice(QhOffset + j / 4, 32);
            for (int l = 0; l < 32; l++)
            {
                int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = QuantMath.ReadHalf(x[DOffset..]);
        for (int e = 0; e < QuantMath.SuperBlock; e++)
        {
            int half = e / 128, r = e % 128, l = r % 32, quarter = r / 32;
            byte lowByte = x[QlOffset + half * 64 + l + (quarter & 1) * 32];
            int low = quarter < 2 ? lowByte & 0xF : lowByte >> 4;
            int high = (x[QhOffset + half * 32 + l] >> (2 * quarter)) & 3;
            int q = (low | (high << 4)) - 32;
            sbyte scale = (sbyte)x[ScalesOffset + half * 8 + l / 16 + 2 * quarter];
            y[e] = d * scale * q;
        }
    }
}
