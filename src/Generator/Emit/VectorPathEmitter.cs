namespace GqaGen.Generator.Emit;

/// <summary>
/// Emits one SIMD decode path (AVX-512 or AVX2) for a layout: the per-group tile loop, the unrolled score
/// tile and the register-blocked value accumulation, with every size a constant.
/// </summary>
internal static class VectorPathEmitter
{
    public static void Emit(SourceWriter w, VectorPlan plan, int headsPerGroup)
    {
        string V = plan.VectorType;
        int tile = plan.Width;

        w.Line($"/// <summary>The {plan.Name} path: positions in tiles of {tile}; see the type's remarks for the vector plan.</summary>");
        using (w.Block($"internal static void Decode{plan.Name}(global::System.ReadOnlySpan<float> query, global::System.ReadOnlySpan<float> keys, global::System.ReadOnlySpan<float> values, int capacity, global::GqaGen.KvRange positions, global::System.Span<float> output, global::System.Span<float> logSumExp)"))
        {
            w.Line("int count = positions.Length;");
            w.Line("global::System.Span<float> runningMax = stackalloc float[HeadsPerGroup];");
            w.Line("global::System.Span<float> runningSum = stackalloc float[HeadsPerGroup];");
            w.Line($"global::System.Span<float> probabilities = stackalloc float[{tile}];");
            w.Line("// A partial last tile is copied here so that every K read stays inside the rows in range.");
            w.Line($"global::System.Span<float> partialKeys = count % {tile} == 0 ? default : stackalloc float[{tile} * HeadDim];");
            w.Line($"{V}<float> scale = {V}.Create(Scale);");
            w.Line($"{V}<float> negativeInfinity = {V}.Create(float.NegativeInfinity);");
            w.Line();
            using (w.Block("for (int g = 0; g < KvGroups; g++)"))
            {
                w.Line("global::System.Span<float> groupOutput = output.Slice(g * HeadsPerGroup * HeadDim, HeadsPerGroup * HeadDim);");
                w.Line("groupOutput.Clear();");
                w.Line("runningMax.Fill(float.NegativeInfinity);");
                w.Line("runningSum.Clear();");
                w.Line("int groupStart = (g * capacity + positions.Start) * HeadDim;");
                w.Line("global::System.ReadOnlySpan<float> groupKeys = keys.Slice(groupStart, count * HeadDim);");
                w.Line("global::System.ReadOnlySpan<float> groupValues = values.Slice(groupStart, count * HeadDim);");
                w.Line();
                using (w.Block($"for (int t = 0; t < count; t += {tile})"))
                {
                    w.Line($"int n = global::System.Math.Min({tile}, count - t);");
                    w.Line("scoped global::System.ReadOnlySpan<float> tileKeys = groupKeys.Slice(t * HeadDim, n * HeadDim);");
                    using (w.Block($"if (n < {tile})"))
                    {
                        w.Line("tileKeys.CopyTo(partialKeys);");
                        w.Line("partialKeys.Slice(n * HeadDim).Clear();");
                        w.Line("tileKeys = partialKeys;");
                    }
                    w.Line("ref float k = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(tileKeys);");
                    w.Line("ref float v = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(groupValues.Slice(t * HeadDim));");
                    w.Line($"{V}<float> valid = global::GqaGen.Kernels.GqaSimd.FirstLanes{plan.MaskSuffix}(n);");
                    w.Line();
                    w.Line($"// Each head of the group reuses the tile's K and V rows, now in L1: memory sees each row once.");
                    using (w.Block("for (int h = 0; h < HeadsPerGroup; h++)"))
                    {
                        w.Line("ref float q = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(query.Slice((g * HeadsPerGroup + h) * HeadDim, HeadDim));");
                        w.Line($"{V}<float> scores = {V}.ConditionalSelect(valid, ScoreTile{plan.Name}(ref q, ref k) * scale, negativeInfinity);");
                        w.Line($"{V}<float> weights = global::GqaGen.Kernels.GqaSimd.SoftmaxStep(scores, ref runningMax[h], ref runningSum[h], out float alpha);");
                        w.Line($"{V}.StoreUnsafe(weights, ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(probabilities));");
                        w.Line($"AccumulateValues{plan.Name}(ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(groupOutput.Slice(h * HeadDim, HeadDim)), ref v, probabilities, n, alpha);");
                    }
                }
                w.Line();
                w.Line("for (int h = 0; h < HeadsPerGroup; h++)");
                w.Line("    global::GqaGen.Kernels.GqaSimd.FinishHead(groupOutput.Slice(h * HeadDim, HeadDim), runningMax[h], runningSum[h], logSumExp, g * HeadsPerGroup + h);");
            }
        }
        w.Line();
        EmitScoreTile(w, plan);
        w.Line();
        EmitAccumulateValues(w, plan);
    }

    private static void EmitScoreTile(SourceWriter w, VectorPlan plan)
    {
        string V = plan.VectorType;
        int tile = plan.Width;
        w.Line($"/// <summary>{tile} dot products of one query row with {tile} consecutive K rows: one accumulator per row, folded at the end.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"private static {V}<float> ScoreTile{plan.Name}(ref float q, ref float k)"))
        {
            for (int i = 0; i < plan.VectorsPerRow; i++)
            {
                int offset = plan.Offset(i);
                bool last = i == plan.VectorsPerRow - 1;
                string load = $"{V}.LoadUnsafe(ref q, {offset})";
                if (last && plan.TailLanes != 0)
                {
                    w.Line($"// Elements {offset}..{plan.HeadDim - 1}: the last vector overlaps the previous one; its first {plan.Width - plan.TailLanes} query lanes are zeroed so they add nothing.");
                    load += $" & global::GqaGen.Kernels.GqaSimd.LastLanes{plan.MaskSuffix}({plan.TailLanes})";
                }
                else
                {
                    w.Line($"// Elements {offset}..{offset + plan.Width - 1}.");
                }
                w.Line(i == 0 ? $"{V}<float> qv = {load};" : $"qv = {load};");
                for (int row = 0; row < tile; row++)
                {
                    string kLoad = $"{V}.LoadUnsafe(ref k, {row * plan.HeadDim + offset})";
                    w.Line(i == 0
                        ? $"{V}<float> a{row} = qv * {kLoad};"
                        : $"a{row} = {V}.FusedMultiplyAdd({kLoad}, qv, a{row});");
                }
            }
            string args = string.Join(", ", Range("a", tile));
            w.Line($"return global::GqaGen.Kernels.GqaSimd.{plan.SumMethod}({args});");
        }
    }

    private static void EmitAccumulateValues(SourceWriter w, VectorPlan plan)
    {
        string V = plan.VectorType;
        w.Line("/// <summary>output = output · alpha + Σ_j p[j] · V[j] for the tile's n rows, the head's vectors held in registers.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"private static void AccumulateValues{plan.Name}(ref float o, ref float v, global::System.ReadOnlySpan<float> p, int n, float alpha)"))
        {
            w.Line($"{V}<float> scale = {V}.Create(alpha);");
            w.Line("ref float weights = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(p);");
            foreach ((int first, int count) in plan.AccumulatorBlocks())
            {
                int lastVector = first + count - 1;
                w.Line($"// Vectors {first}..{lastVector} of the head (elements {plan.Offset(first)}..{plan.Offset(lastVector) + plan.Width - 1}) stay in registers while the rows stream past.");
                using (w.Block(""))
                {
                    for (int i = first; i <= lastVector; i++)
                        w.Line($"{V}<float> o{i} = {V}.LoadUnsafe(ref o, {plan.Offset(i)}) * scale;");
                    w.Line("ref float row = ref v;");
                    using (w.Block("for (int j = 0; j < n; j++)"))
                    {
                        w.Line($"{V}<float> weight = {V}.Create(global::System.Runtime.CompilerServices.Unsafe.Add(ref weights, j));");
                        for (int i = first; i <= lastVector; i++)
                            w.Line($"o{i} = {V}.FusedMultiplyAdd({V}.LoadUnsafe(ref row, {plan.Offset(i)}), weight, o{i});");
                        w.Line("row = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref row, HeadDim);");
                    }
                    for (int i = first; i <= lastVector; i++)
                    {
                        if (i == plan.VectorsPerRow - 1 && plan.TailLanes != 0)
                        {
                            w.Line($"// The overlapping last vector keeps the lanes the previous vector already finished.");
                            w.Line($"o{i} = {V}.ConditionalSelect(global::GqaGen.Kernels.GqaSimd.LastLanes{plan.MaskSuffix}({plan.TailLanes}), o{i}, {V}.LoadUnsafe(ref o, {plan.Offset(i)}));");
                        }
                        w.Line($"{V}.StoreUnsafe(o{i}, ref o, {plan.Offset(i)});");
                    }
                }
            }
        }
    }

    private static string[] Range(string prefix, int count)
    {
        string[] names = new string[count];
        for (int i = 0; i < count; i++)
            names[i] = prefix + i;
        return names;
    }
}
