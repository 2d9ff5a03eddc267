namespace GqaGen.Generator.Emit;

/// <summary>Emits the scalar decode path: the same tiles and online softmax as the vector paths, in plain loops with constant bounds.</summary>
internal static class ScalarPathEmitter
{
    public static void Emit(SourceWriter w, int headDim)
    {
        int unrolled = headDim - headDim % 4;
        w.Line("/// <summary>The scalar path: tiles of 16 positions, four independent partial sums per dot product.</summary>");
        using (w.Block("internal static void DecodeScalar(global::System.ReadOnlySpan<float> query, global::System.ReadOnlySpan<float> keys, global::System.ReadOnlySpan<float> values, int capacity, global::GqaGen.KvRange positions, global::System.Span<float> output, global::System.Span<float> logSumExp)"))
        {
            w.Line("const int Tile = 16;");
            w.Line("int count = positions.Length;");
            w.Line("global::System.Span<float> runningMax = stackalloc float[HeadsPerGroup];");
            w.Line("global::System.Span<float> runningSum = stackalloc float[HeadsPerGroup];");
            w.Line("global::System.Span<float> scores = stackalloc float[Tile];");
            using (w.Block("for (int g = 0; g < KvGroups; g++)"))
            {
                w.Line("global::System.Span<float> groupOutput = output.Slice(g * HeadsPerGroup * HeadDim, HeadsPerGroup * HeadDim);");
                w.Line("groupOutput.Clear();");
                w.Line("runningMax.Fill(float.NegativeInfinity);");
                w.Line("runningSum.Clear();");
                w.Line("int groupStart = (g * capacity + positions.Start) * HeadDim;");
                w.Line("global::System.ReadOnlySpan<float> groupKeys = keys.Slice(groupStart, count * HeadDim);");
                w.Line("global::System.ReadOnlySpan<float> groupValues = values.Slice(groupStart, count * HeadDim);");
                w.Line("// Stepping by n, not Tile, keeps t ≤ count: no overflow for ranges near int.MaxValue.");
                using (w.Block("for (int t = 0, n; t < count; t += n)"))
                {
                    w.Line("n = global::System.Math.Min(Tile, count - t);");
                    w.Line("global::System.Span<float> tileScores = scores.Slice(0, n);");
                    using (w.Block("for (int h = 0; h < HeadsPerGroup; h++)"))
                    {
                        w.Line("global::System.ReadOnlySpan<float> q = query.Slice((g * HeadsPerGroup + h) * HeadDim, HeadDim);");
                        using (w.Block("for (int j = 0; j < n; j++)"))
                        {
                            w.Line("global::System.ReadOnlySpan<float> k = groupKeys.Slice((t + j) * HeadDim, HeadDim);");
                            w.Line("float s0 = 0, s1 = 0, s2 = 0, s3 = 0;");
                            if (unrolled > 0)
                            {
                                using (w.Block($"for (int i = 0; i < {unrolled}; i += 4)"))
                                {
                                    w.Line("s0 += q[i] * k[i];");
                                    w.Line("s1 += q[i + 1] * k[i + 1];");
                                    w.Line("s2 += q[i + 2] * k[i + 2];");
                                    w.Line("s3 += q[i + 3] * k[i + 3];");
                                }
                            }
                            for (int i = unrolled; i < headDim; i++)
                                w.Line($"s{i - unrolled} += q[{i}] * k[{i}];");
                            w.Line("tileScores[j] = ((s0 + s1) + (s2 + s3)) * Scale;");
                        }
                        w.Line("float alpha = global::GqaGen.Kernels.GqaSimd.SoftmaxStep(tileScores, ref runningMax[h], ref runningSum[h]);");
                        w.Line("global::System.Span<float> o = groupOutput.Slice(h * HeadDim, HeadDim);");
                        using (w.Block("for (int i = 0; i < HeadDim; i++)"))
                        {
                            w.Line("float acc = o[i] * alpha;");
                            w.Line("for (int j = 0; j < n; j++)");
                            w.Line("    acc += tileScores[j] * groupValues[(t + j) * HeadDim + i];");
                            w.Line("o[i] = acc;");
                        }
                    }
                }
                w.Line("for (int h = 0; h < HeadsPerGroup; h++)");
                w.Line("    global::GqaGen.Kernels.GqaSimd.FinishHead(groupOutput.Slice(h * HeadDim, HeadDim), runningMax[h], runningSum[h], logSumExp, g * HeadsPerGroup + h);");
            }
        }
    }
}
