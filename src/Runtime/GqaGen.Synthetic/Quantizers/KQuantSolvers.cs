namespace GqaGen.Synthetic.Quantizers;

/// <summary>
/// The per-group scale searches of ggml's k-quant reference quantizers (ggml-quants.c at llama.cpp c392e5094):
/// <c>make_qx_quants</c> (symmetric, weighted least squares over 18 trial scales), <c>make_q3_quants</c> (symmetric,
/// coordinate descent on the quants) and <c>make_qkx2_quants</c> (affine scale and minimum, least squares over a sweep
/// of trial scales). Written from the algorithm and constants alone; every sum is single precision in ggml's order,
/// since a different rounding anywhere picks a different scale and so different bytes.
/// </summary>
internal static class KQuantSolvers
{
    /// <summary>
    /// Symmetric quants in [0, 2·nmax) for <paramref name="x"/> with squared-value weights (ggml's
    /// <c>make_qx_quants</c> with <c>rmse_type</c> 1 and no importance weights), returning the scale: values are
    /// approximately scale · (L − nmax). The first guess maps the value of largest magnitude to −nmax; 18 nearby
    /// scales (nmax ± 0.1·k) are tried and the one with the best weighted least-squares fit kept.
    /// </summary>
    public static float MakeQxQuants(ReadOnlySpan<float> x, int nmax, Span<sbyte> L)
    {
        int n = x.Length;
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < QuantMath.GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(QuantMath.NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0)
                continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(QuantMath.NearestInt(iscale * x[i]), -nmax, nmax - 1);
                float w = x[i] * x[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            // Compares sumlx²/suml2 (the fit's explained energy) without dividing.
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; i++)
                    L[i] = (sbyte)(nmax + Math.Clamp(QuantMath.NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>
    /// Symmetric 3-bit quants in [0, 2·nmax) for <paramref name="x"/> (ggml's <c>make_q3_quants</c> with
    /// <c>do_rmse</c>): start from mapping the value of largest magnitude to −nmax, then up to five passes that move
    /// single quants when that improves the weighted (x²) least-squares fit. Returns the fitted scale.
    /// </summary>
    public static float MakeQ3Quants(ReadOnlySpan<float> x, int nmax, Span<sbyte> L)
    {
        int n = x.Length;
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < QuantMath.GroupMaxEps)
        {
            L[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(QuantMath.NearestInt(iscale * x[i]), -nmax, nmax - 1);
            L[i] = (sbyte)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; pass++)
        {
            int changed = 0;
            for (int i = 0; i < n; i++)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx > 0)
                {
                    float sl2 = suml2 - w * L[i] * L[i];
                    int newL = Math.Clamp(QuantMath.NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                    if (newL != L[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            L[i] = (sbyte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0)
                break;
        }
        for (int i = 0; i < n; i++)
            L[i] = (sbyte)(L[i] + nmax);
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /// <summary>
    /// Affine quants in [0, nmax] for <paramref name="x"/>: values ≈ scale · L − theMin, with theMin ≥ 0 (ggml's
    /// <c>make_qkx2_quants</c>). The first guess spans [min(x, 0), max(x)]; then trial scales
    /// (rmin + rdelta·k + nmax)/(max − min), k = 0…nstep, each with the weighted least-squares scale and minimum for
    /// its quants, and the one of least weighted error (absolute if <paramref name="useMad"/>, else squared) is kept.
    /// </summary>
    public static float MakeQkx2Quants(ReadOnlySpan<float> x, int nmax, ReadOnlySpan<float> weights, Span<byte> L,
        out float theMin, Span<byte> Laux, float rmin, float rdelta, int nstep, bool useMad)
    {
        int n = x.Length;
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0)
            min = 0;
        if (max == min)
        {
            L[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = QuantMath.NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Clamp(l, 0, nmax);
            float diff = scale * L[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(QuantMath.NearestInt(iscale * (x[i] - min)), 0, nmax);
                Laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0)
                {
                    // The fit wants a positive offset, which the format cannot store: fit the scale alone.
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * Laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError)
                {
                    Laux[..n].CopyTo(L);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }
}
