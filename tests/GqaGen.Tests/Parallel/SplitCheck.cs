using GqaGen.Tests.Support;

namespace GqaGen.Tests.Parallel;

/// <summary>The checks every split-decode case runs, on plain and windowed caches alike.</summary>
internal static class SplitCheck
{
    /// <summary>Pools of these sizes; 3 and 4 exceed a two-core machine, which must still work.</summary>
    public static readonly int[] ThreadCounts = [1, 2, 3, 4];

    /// <summary>The split against the kernel's chunk results merged in double: the split's merge rounding only.</summary>
    public const double MergeTolerance = 1e-6;

    /// <summary>Calls per thread count, each into freshly poisoned buffers.</summary>
    private const int Calls = 3;

    /// <summary>
    /// Decodes once on the calling thread, then <see cref="Calls"/> times on pools of each of <see cref="ThreadCounts"/>
    /// threads, every time into NaN-poisoned buffers, and checks: the single-threaded kernel within 1e-5 of
    /// <see cref="GqaReference"/>; the split within 1e-6 of the kernel's chunks merged exactly and within 1e-5 of the
    /// reference and of the single-threaded kernel; exactly the kernel's bits where one chunk runs; the same bits on every
    /// call; and the same outputs without a log-sum-exp buffer.
    /// </summary>
    public static void OnEveryThreadCount(GqaAttention attention, float[] query, KvCache cache, int layer, KvRange positions, string context)
    {
        GqaShape shape = attention.Shape;
        float[] single = SplitAssert.Poisoned(shape.QueryLength), singleLogSumExp = SplitAssert.Poisoned(shape.Heads);
        attention.Decode(query, cache, layer, positions, single, singleLogSumExp);
        float[] reference = SplitAssert.Poisoned(shape.QueryLength), referenceLogSumExp = SplitAssert.Poisoned(shape.Heads);
        GqaReference.Decode(shape, query, cache, layer, positions, reference, referenceLogSumExp);
        AttentionAssert.MatchesReference(shape, reference, referenceLogSumExp, single, singleLogSumExp, $"{context}, single-threaded");

        KvRange attended = cache.Attended(positions);
        foreach (int threads in ThreadCounts)
        {
            using var pool = new ComputePool(threads);
            int chunks = SplitKvDecode.ChunkCount(threads, attended.Length, cache.RowBytes);
            string at = $"{context} on {threads} thread(s), {chunks} chunk(s)";
            float[]? first = null, firstLogSumExp = null;
            for (int call = 0; call < Calls; call++)
            {
                float[] output = SplitAssert.Poisoned(shape.QueryLength), logSumExp = SplitAssert.Poisoned(shape.Heads);
                attention.Decode(query, cache, layer, positions, output, logSumExp, pool);
                if (first is null)
                {
                    var (merged, mergedLogSumExp) = SplitAssert.ExactMergeOfChunks(attention, query, cache, layer, attended, chunks);
                    AttentionAssert.MatchesReference(shape, merged, mergedLogSumExp, output, logSumExp, at, MergeTolerance, "the kernel's chunk results merged in double");
                    AttentionAssert.MatchesReference(shape, reference, referenceLogSumExp, output, logSumExp, at);
                    AttentionAssert.MatchesReference(shape, single, singleLogSumExp, output, logSumExp, at, expectedName: "the single-threaded kernel");
                    if (chunks == 1)
                    {
                        SplitAssert.Identical(single, output, "output", $"{at} (one chunk is the kernel itself)");
                        SplitAssert.Identical(singleLogSumExp, logSumExp, "logSumExp", $"{at} (one chunk is the kernel itself)");
                    }
                    (first, firstLogSumExp) = (output, logSumExp);
                }
                else
                {
                    SplitAssert.Identical(first, output, "output", $"{at}, call {call + 1}");
                    SplitAssert.Identical(firstLogSumExp!, logSumExp, "logSumExp", $"{at}, call {call + 1}");
                }
            }

            // Without a log-sum-exp buffer the split still merges by log-sum-exp (kept in its scratch): same outputs.
            float[] withoutLogSumExp = SplitAssert.Poisoned(shape.QueryLength);
            attention.Decode(query, cache, layer, positions, withoutLogSumExp, default, pool);
            SplitAssert.Identical(first!, withoutLogSumExp, "output", $"{at}, no logSumExp");
        }
    }
}
