using System.Collections.Generic;
using System.Linq;

namespace GqaGen.Generator.Emit;

/// <summary>
/// Emits one SIMD decode path (AVX-512 or AVX2) for a layout: the per-group block loop, score tiles that
/// cover several heads and positions at once, and value accumulation that feeds each V vector to several
/// heads, with every size a constant and every loop over the head dimension unrolled.
/// </summary>
internal static class VectorPathEmitter
{
    private const int PrefetchBlocksAhead = GqaKernelNumbers.PrefetchBlocksAhead;

    // The emitted code sits under "using System.Runtime.CompilerServices; using System.Runtime.InteropServices;".
    private const string Unsafe = "Unsafe";
    private const string Marshal = "MemoryMarshal";
    private const string Inline = "[MethodImpl(MethodImplOptions.AggressiveInlining)]";

    /// <summary>
    /// The block-level loops (a head tile's scores over a block, the values of a head tile over a block) are methods of
    /// their own, called once per block, and each inlines its one tile. Inlining every tile into the driver, as the
    /// fp32-only kernels did, runs past the JIT's 512-locals inlining limit once a row load needs several locals
    /// (q8_0's about ten), leaving loads as calls: q8_0 decode ran as slowly as f32 (Llama3_8B, 32,768 positions,
    /// 10.6 ms for 71 MB, 2026-12-04, Zen 5 VM). Compiling each 4×4 tile as its own method cost f32 3 to 15 % in
    /// call overhead (2026-12); a call per block of 32–64 positions does not.
    /// </summary>
    private const string TileMethod = "[MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]";

    /// <summary>The storage type parameter every row load goes through.</summary>
    private const string Rows = KernelEmitter.RowsParameter;

    public static void Emit(SourceWriter w, VectorPlan plan)
    {
        string V = plan.VectorType;
        int block = plan.BlockPositions;
        int tile = plan.Width;

        w.Line($"/// <summary>The {plan.Name} path over one contiguous range of slots: blocks of {block} positions, scored {tile} dot products at a time; see the type's remarks for the vector plan.");
        w.Line($"/// Generic over the storage type: every row is read through {Rows}.{plan.RowLoad} at a constant element offset, so each storage type's copy of this");
        w.Line("/// method widens its own format in registers, and the row stride is a constant too.");
        w.Line("/// With <paramref name=\"streaming\"/> it asks for K/V rows a few blocks ahead (for caches too large to stay cached between steps).</summary>");
        using (KernelEmitter.StorageGenericMethod(w, $"internal static void {DecodeName(plan)}", KernelEmitter.RawPathParameters(qualified: false) + ", bool streaming"))
        {
            w.Line("int count = slotRange.Length;");
            w.Line($"// Bytes per K or V row: a constant once the JIT compiles this method for one storage type.");
            w.Line($"int rowBytes = {Rows}.RowBytes(HeadDim);");
            w.Line("Span<float> runningMax = stackalloc float[HeadsPerGroup];");
            w.Line("Span<float> runningSum = stackalloc float[HeadsPerGroup];");
            w.Line("Span<float> alphas = stackalloc float[HeadsPerGroup];");
            w.Line($"// The block's scores, turned in place into softmax weights: (head, position), {block} positions per head.");
            w.Line($"Span<float> weights = stackalloc float[HeadsPerGroup * {block}];");
            w.Line("// A partial last block is copied here, zero-padded, so that every K read stays inside the rows in range;");
            w.Line("// a reused per-thread buffer rather than a stackalloc the runtime would zero on every call.");
            w.Line($"Span<byte> partialKeys = count % {block} == 0 ? default : GqaSimd.PartialBlockBytes({block} * rowBytes);");
            w.Line($"{V}<float> scale = {V}.Create(Scale);");
            w.Line($"ref float s = ref {Marshal}.GetReference(weights);");
            w.Line();
            using (w.Block("for (int g = 0; g < KvGroups; g++)"))
            {
                w.Line("Span<float> groupOutput = output.Slice(g * HeadsPerGroup * HeadDim, HeadsPerGroup * HeadDim);");
                w.Line("groupOutput.Clear();");
                w.Line("runningMax.Fill(float.NegativeInfinity);");
                w.Line("runningSum.Clear();");
                w.Line($"ref float q = ref {Marshal}.GetReference(query.Slice(g * HeadsPerGroup * HeadDim, HeadsPerGroup * HeadDim));");
                w.Line($"ref float o = ref {Marshal}.GetReference(groupOutput);");
                w.Line("int groupStart = (g * slots + slotRange.Start) * rowBytes;");
                w.Line("ReadOnlySpan<byte> groupKeys = keys.Slice(groupStart, count * rowBytes);");
                w.Line("ReadOnlySpan<byte> groupValues = values.Slice(groupStart, count * rowBytes);");
                w.Line();
                using (w.Block($"for (int b = 0; b < count; b += {block})"))
                {
                    w.Line($"int n = Math.Min({block}, count - b);");
                    w.Line($"int scored = (n + {tile - 1}) & ~{tile - 1};");
                    w.Line("scoped ReadOnlySpan<byte> blockKeys = groupKeys.Slice(b * rowBytes, n * rowBytes);");
                    using (w.Block($"if (n < {block})"))
                    {
                        w.Line("// Zero bytes are zero elements in every storage type (a q8_0 block with scale 0).");
                        w.Line("blockKeys.CopyTo(partialKeys);");
                        w.Line("partialKeys.Slice(n * rowBytes).Clear();");
                        w.Line("blockKeys = partialKeys;");
                    }
                    w.Line($"bool prefetch = streaming && b + {(PrefetchBlocksAhead + 1) * block} <= count;");
                    w.Line($"ref byte k = ref {Marshal}.GetReference(blockKeys);");
                    w.Line($"ref byte v = ref {Marshal}.GetReference(groupValues.Slice(b * rowBytes));");
                    w.Line();
                    w.Line($"// Scores of every head of the group, each head tile over the whole block in a method of its own; {Rows}.{WidensMember} picks the loop shape (see the methods).");
                    EmitByFormat(w, widened => EmitScoreCalls(w, plan, widened), sameBothWays: !ScoreShapesDiffer(plan));
                    w.Line();
                    w.Line("// Positions past the end of a partial block were scored against zero rows; exclude them.");
                    using (w.Block("for (int h = 0; h < HeadsPerGroup; h++)"))
                    {
                        w.Line("if (n < scored)");
                        w.Line($"    weights.Slice(h * {block} + n, scored - n).Fill(float.NegativeInfinity);");
                        w.Line($"alphas[h] = GqaSimd.SoftmaxBlock(weights.Slice(h * {block}, scored), ref runningMax[h], ref runningSum[h]);");
                    }
                    w.Line();
                    w.Line("// Weighted V rows into the outputs: each V vector loaded feeds the accumulators of several heads (more when it had to be widened).");
                    EmitByFormat(w, widened => EmitValueCalls(w, plan, widened), SameTiles(plan.ValueTiles(widened: true), plan.ValueTiles(widened: false)));
                }
                w.Line();
                w.Line("for (int h = 0; h < HeadsPerGroup; h++)");
                w.Line("    GqaSimd.FinishHead(groupOutput.Slice(h * HeadDim, HeadDim), runningMax[h], runningSum[h], logSumExp, g * HeadsPerGroup + h);");
            }
        }

        var scoreSizes = new HashSet<int>();
        foreach (HeadTile headTile in plan.ScoreTiles())
        {
            if (!scoreSizes.Add(headTile.Heads))
                continue;
            w.Line();
            EmitScoreRows(w, plan, headTile, widened: false);
            w.Line();
            if (ScoreShapesDiffer(plan))
            {
                EmitScoreRows(w, plan, headTile, widened: true);
                w.Line();
            }
            EmitScoreTile(w, plan, headTile.Heads);
            w.Line();
            EmitStoreScores(w, plan, headTile.Heads);
        }
        var valueSizes = new HashSet<int>();
        foreach (HeadTile headTile in plan.ValueTiles(widened: true).Concat(plan.ValueTiles(widened: false)))
        {
            if (!valueSizes.Add(headTile.Heads))
                continue;
            w.Line();
            EmitAccumulateValues(w, plan, headTile.Heads);
        }
    }

    /// <summary>The <see cref="IKvRowFormat"/> member that says whether a format widens its loads (a JIT-time constant per storage type).</summary>
    private const string WidensMember = "WidensInRegisters";

    /// <summary>Emits <paramref name="body"/> for widening formats and for fp32, chosen by <see cref="WidensMember"/>, or once when both are the same.</summary>
    private static void EmitByFormat(SourceWriter w, System.Action<bool> body, bool sameBothWays)
    {
        if (sameBothWays)
        {
            body(false);
            return;
        }
        using (w.Block($"if ({Rows}.{WidensMember})"))
            body(true);
        using (w.Block("else"))
            body(false);
    }

    /// <summary>Whether fp32 and widening formats score in different loop shapes: only tiles of several heads unroll
    /// several tiles per step for fp32 (a one-head tile's step is one tile either way).</summary>
    private static bool ScoreShapesDiffer(VectorPlan plan) => plan.ScoreTiles().Any(tile => tile.Heads > 1);

    private static bool SameTiles(IReadOnlyList<HeadTile> a, IReadOnlyList<HeadTile> b)
        => a.Count == b.Count && a.Zip(b, (x, y) => x.First == y.First && x.Heads == y.Heads && x.Count == y.Count).All(same => same);

    private static void EmitScoreCalls(SourceWriter w, VectorPlan plan, bool widened)
    {
        foreach (HeadTile headTile in plan.ScoreTiles())
        {
            string prefetch = headTile.First == 0 ? "prefetch" : "false";
            w.Line($"{ScoreRowsName(plan, headTile.Heads, widened)}<{Rows}>(ref q, ref k, ref s, scored, {prefetch}, groupKeys, groupValues, b);");
        }
    }

    private static void EmitValueCalls(SourceWriter w, VectorPlan plan, bool widened)
    {
        int block = plan.BlockPositions;
        foreach (HeadTile headTile in plan.ValueTiles(widened))
            EmitTileLoop(w, headTile, h0 =>
                w.Line($"{AccumulateValuesName(plan, headTile.Heads)}<{Rows}>(ref {Unsafe}.Add(ref o, {h0} * HeadDim), ref v, ref {Unsafe}.Add(ref s, {h0} * {block}), n, ref alphas[{h0}]);"));
    }

    /// <summary>The path's entry point; the annotated type gets a forwarder of this name (so the parser checks it for GQA010).</summary>
    public static string DecodeName(VectorPlan plan) => $"Decode{plan.Name}";

    private static string ScoreTileName(VectorPlan plan, int heads) => $"ScoreTile{plan.Name}_{heads}x{plan.Width / heads}";

    private static string ScoreRowsName(VectorPlan plan, int heads, bool widened) => $"ScoreRows{(widened ? "ByTile" : "")}{plan.Name}_{heads}";

    private static string StoreScoresName(VectorPlan plan, int heads) => $"StoreScores{plan.Name}_{heads}";

    private static string AccumulateValuesName(VectorPlan plan, int heads) => $"AccumulateValues{plan.Name}_{heads}";

    /// <summary>Emits a prefetch of <paramref name="rows"/> K and V rows from position <paramref name="firstRow"/>, guarded by <paramref name="condition"/>.</summary>
    private static void EmitPrefetch(SourceWriter w, string condition, string firstRow, int rows)
    {
        using (w.Block($"if ({condition})"))
        {
            w.Line($"GqaSimd.Prefetch(groupKeys.Slice(({firstRow}) * rowBytes, {rows} * rowBytes));");
            w.Line($"GqaSimd.Prefetch(groupValues.Slice(({firstRow}) * rowBytes, {rows} * rowBytes));");
        }
    }

    /// <summary>Emits the calls for <paramref name="tile"/>: inline when there is one tile, as a loop otherwise.</summary>
    private static void EmitTileLoop(SourceWriter w, HeadTile tile, System.Action<string> body)
    {
        if (tile.Count == 1)
        {
            body(tile.First.ToString());
            return;
        }
        int end = tile.First + tile.Heads * tile.Count;
        using (w.Block($"for (int h0 = {tile.First}; h0 < {end}; h0 += {tile.Heads})"))
            body("h0");
    }

    /// <summary>
    /// Emits the loop that scores the group's tiles of one head count against every row of a block with
    /// <see cref="EmitScoreTile"/> (inlined), optionally prefetching the same rows <see cref="PrefetchBlocksAhead"/> blocks
    /// ahead as it goes: for fp32, a whole vector's worth of positions per head tile and loop step; for widening formats,
    /// one tile per head tile and step.
    /// </summary>
    private static void EmitScoreRows(SourceWriter w, VectorPlan plan, HeadTile headTile, bool widened)
    {
        string V = plan.VectorType;
        int heads = headTile.Heads;
        int positions = plan.Width / heads;
        int block = plan.BlockPositions;
        int tilesPerStep = widened ? 1 : heads;
        string range = headTile.Count == 1
            ? (heads == 1 ? $"head {headTile.First}" : $"heads {headTile.First}..{headTile.First + heads - 1}")
            : $"heads {headTile.First}..{headTile.First + heads * headTile.Count - 1}, {heads} at a time";
        w.Line($"/// <summary>Scores of the group's {range} against the block's <paramref name=\"scored\"/> rows (a multiple of {plan.Width}), {positions} at a time, into the (head, position) scores at <paramref name=\"s\"/>;");
        string rows = widened ? "for storage types that widen their loads: one tile per head tile and loop step"
            : !ScoreShapesDiffer(plan) ? "for every storage type: one tile per loop step"
            : $"for fp32 rows: {(tilesPerStep == 1 ? "one tile" : $"{tilesPerStep} tiles")} per head tile and loop step";
        w.Line($"/// {rows}. With <paramref name=\"prefetch\"/> it asks for each tile's K and V rows {PrefetchBlocksAhead} blocks ahead.</summary>");
        w.Line("/// <remarks>A method of its own, called once per block: the JIT stops inlining into a method that holds 512 locals, and a");
        w.Line("/// widening row load takes several (q8_0 about ten), so a driver that inlined every tile left q8_0 loads as calls (q8_0 decode");
        w.Line("/// as slow as fp32), and so does a step of several q8_0 tiles. fp32 rows keep the unrolled step: one tile per step made fp32");
        w.Line("/// decode 20 % slower (Llama3_8B, 32,768 positions, paired runs, 2026-12-04, Zen 5 VM).</remarks>");
        w.Line(TileMethod);
        using (KernelEmitter.StorageGenericMethod(w, $"private static void {ScoreRowsName(plan, heads, widened)}",
            "ref float q, ref byte k, ref float s, int scored, bool prefetch, ReadOnlySpan<byte> groupKeys, ReadOnlySpan<byte> groupValues, int b"))
        {
            w.Line($"int rowBytes = {Rows}.RowBytes(HeadDim);");
            w.Line($"{V}<float> scale = {V}.Create(Scale);");
            using (w.Block($"for (int p0 = 0; p0 < scored; p0 += {tilesPerStep * positions})"))
            {
                EmitTileLoop(w, headTile, h0 =>
                {
                    string query = h0 == "0" ? "ref q" : $"ref {Unsafe}.Add(ref q, {h0} * HeadDim)";
                    string prefetchNow = headTile.Count == 1 ? "prefetch" : $"prefetch && h0 == {headTile.First}";
                    for (int sub = 0; sub < tilesPerStep; sub++)
                    {
                        string p = sub == 0 ? "p0" : $"p0 + {sub * positions}";
                        EmitPrefetch(w, prefetchNow, $"b + {PrefetchBlocksAhead * block} + {p}", positions);
                        w.Line($"{StoreScoresName(plan, heads)}({ScoreTileName(plan, heads)}<{Rows}>({query}, ref {Unsafe}.Add(ref k, {(sub == 0 ? "p0" : $"({p})")} * rowBytes)) * scale, ref s, {h0}, {p});");
                    }
                });
            }
        }
    }

    private static void EmitScoreTile(SourceWriter w, VectorPlan plan, int heads)
    {
        string V = plan.VectorType;
        int positions = plan.Width / heads;
        w.Line($"/// <summary>Scores of {heads} head(s) × {positions} position(s): {plan.Width} dot products, one accumulator each, folded by one {plan.SumMethod}. Lane h·{positions} + p holds head h, position p.</summary>");
        w.Line(Inline);
        using (KernelEmitter.StorageGenericMethod(w, $"private static {V}<float> {ScoreTileName(plan, heads)}", "ref float q, ref byte k"))
        {
            w.Line($"// The tile's {positions} K row(s), one row apart.");
            w.Line($"int rowBytes = {Rows}.RowBytes(HeadDim);");
            for (int p = 0; p < positions; p++)
                w.Line(p == 0 ? "ref byte row0 = ref k;" : $"ref byte row{p} = ref {Unsafe}.Add(ref k, {(p == 1 ? "" : p + " * ")}rowBytes);");
            for (int i = 0; i < plan.VectorsPerRow; i++)
            {
                int offset = plan.Offset(i);
                bool masked = i == plan.VectorsPerRow - 1 && plan.TailLanes != 0;
                w.Line(masked
                    ? $"// Elements {offset}..{plan.HeadDim - 1}: the last vector overlaps the previous one, so its first {plan.Width - plan.TailLanes} query lanes are zeroed."
                    : $"// Elements {offset}..{offset + plan.Width - 1}.");
                string declare = i == 0 ? $"{V}<float> " : "";
                for (int h = 0; h < heads; h++)
                {
                    string load = $"{V}.LoadUnsafe(ref q, {h * plan.HeadDim + offset})";
                    if (masked)
                        load += $" & GqaSimd.LastLanes{plan.MaskSuffix}({plan.TailLanes})";
                    w.Line($"{declare}q{h} = {load};");
                }
                for (int p = 0; p < positions; p++)
                    w.Line($"{declare}k{p} = {Rows}.{plan.RowLoad}(ref row{p}, {offset});");
                for (int h = 0; h < heads; h++)
                {
                    for (int p = 0; p < positions; p++)
                    {
                        w.Line(i == 0
                            ? $"{V}<float> a{h}_{p} = q{h} * k{p};"
                            : $"a{h}_{p} = {V}.FusedMultiplyAdd(q{h}, k{p}, a{h}_{p});");
                    }
                }
            }
            var args = new List<string>();
            for (int h = 0; h < heads; h++)
                for (int p = 0; p < positions; p++)
                    args.Add($"a{h}_{p}");
            w.Line($"return GqaSimd.{plan.SumMethod}({string.Join(", ", args)});");
        }
    }

    private static void EmitStoreScores(SourceWriter w, VectorPlan plan, int heads)
    {
        string V = plan.VectorType;
        int positions = plan.Width / heads;
        int block = plan.BlockPositions;
        w.Line($"/// <summary>Writes a {heads}×{positions} score tile into the block's (head, position) rows.</summary>");
        w.Line(Inline);
        using (w.Block($"private static void {StoreScoresName(plan, heads)}({V}<float> scores, ref float s, int h0, int p0)"))
        {
            if (heads == 1)
            {
                w.Line($"{V}.StoreUnsafe(scores, ref s, (nuint)(h0 * {block} + p0));");
                return;
            }
            // Split the register into one part per head by halving it: 512 → 256 → 128 bits.
            var parts = new List<string> { "scores" };
            int width = plan.Width;
            while (parts.Count < heads)
            {
                string type = width == 16 ? "Vector512" : "Vector256";
                var next = new List<string>();
                foreach (string part in parts)
                {
                    next.Add($"{type}.GetLower({part})");
                    next.Add($"{type}.GetUpper({part})");
                }
                parts = next;
                width /= 2;
            }
            string partType = width == 8 ? "Vector256" : "Vector128";
            for (int h = 0; h < heads; h++)
                w.Line($"{partType}.StoreUnsafe({parts[h]}, ref s, (nuint)((h0 + {h}) * {block} + p0));");
        }
    }

    private static void EmitAccumulateValues(SourceWriter w, VectorPlan plan, int heads)
    {
        string V = plan.VectorType;
        int block = plan.BlockPositions;
        w.Line($"/// <summary>For {heads} head(s): output = output · alpha + Σ_j weight[j] · V[j] over the block's n rows; each V vector loaded feeds all {heads} heads.</summary>");
        w.Line(TileMethod);
        using (KernelEmitter.StorageGenericMethod(w, $"private static void {AccumulateValuesName(plan, heads)}", "ref float o, ref byte v, ref float weights, int n, ref float alpha"))
        {
            w.Line($"int rowBytes = {Rows}.RowBytes(HeadDim);");
            for (int h = 0; h < heads; h++)
                w.Line($"{V}<float> scale{h} = {V}.Create({Unsafe}.Add(ref alpha, {h}));");
            foreach ((int first, int count) in plan.AccumulatorBlocks(heads))
            {
                int last = first + count - 1;
                w.Line($"// Vectors {first}..{last} of each head (elements {plan.Offset(first)}..{plan.Offset(last) + plan.Width - 1}) stay in registers while the rows stream past.");
                using (w.Block(""))
                {
                    for (int h = 0; h < heads; h++)
                        for (int i = first; i <= last; i++)
                            w.Line($"{V}<float> o{h}_{i} = {V}.LoadUnsafe(ref o, {h * plan.HeadDim + plan.Offset(i)}) * scale{h};");
                    w.Line("ref byte row = ref v;");
                    using (w.Block("for (int j = 0; j < n; j++)"))
                    {
                        for (int h = 0; h < heads; h++)
                            w.Line($"{V}<float> weight{h} = {V}.Create({Unsafe}.Add(ref weights, {h * block} + j));");
                        for (int i = first; i <= last; i++)
                        {
                            w.Line($"{V}<float> v{i} = {Rows}.{plan.RowLoad}(ref row, {plan.Offset(i)});");
                            for (int h = 0; h < heads; h++)
                                w.Line($"o{h}_{i} = {V}.FusedMultiplyAdd(v{i}, weight{h}, o{h}_{i});");
                        }
                        w.Line($"row = ref {Unsafe}.Add(ref row, rowBytes);");
                    }
                    for (int h = 0; h < heads; h++)
                    {
                        for (int i = first; i <= last; i++)
                        {
                            int at = h * plan.HeadDim + plan.Offset(i);
                            if (i == plan.VectorsPerRow - 1 && plan.TailLanes != 0)
                                w.Line($"o{h}_{i} = {V}.ConditionalSelect(GqaSimd.LastLanes{plan.MaskSuffix}({plan.TailLanes}), o{h}_{i}, {V}.LoadUnsafe(ref o, {at})); // keep lanes the previous vector finished");
                            w.Line($"{V}.StoreUnsafe(o{h}_{i}, ref o, {at});");
                        }
                    }
                }
            }
        }
    }
}
