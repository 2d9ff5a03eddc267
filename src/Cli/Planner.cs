namespace GqaGen.Cli;

public sealed record PlanRow(int KvGroups, int HeadsPerGroup, bool IsModelLayout, double CacheBytes, double TotalBytes, bool Fits);

public sealed record PlanSuggestion(string Kind, string Text, double? Value);

public sealed record PlanResult(
    ModelSpec Model,
    long Context,
    long Batch,
    double MemoryBytes,
    double ReserveBytes,
    KvDtype WeightsDtype,
    KvDtype KvDtype,
    double WeightsBytes,
    IReadOnlyList<PlanRow> Rows,
    int? RecommendedKvGroups,
    IReadOnlyList<PlanSuggestion> Suggestions);

/// <summary>For every divisor G of H: weights + KV cache + reserve against the memory; recommends the largest G that fits.</summary>
public static class Planner
{
    public static PlanResult Plan(ModelSpec model, long context, long batch, double memoryBytes, double reserveBytes,
        KvDtype weightsDtype, KvDtype kvDtype)
    {
        Validate.Positive(context, "--context");
        Validate.Positive(batch, "--batch");
        Validate.Positive(memoryBytes, "--memory");
        if (reserveBytes < 0 || reserveBytes >= memoryBytes)
            throw new CliException("--reserve must be smaller than --memory");

        double weights = model.Parameters * weightsDtype.BytesPerElement;
        var rows = new List<PlanRow>();
        foreach (int g in KvCacheMath.Divisors(model.Heads))
        {
            double cache = KvCacheMath.TotalBytes(model.Layers, g, model.HeadDim, context, batch, kvDtype);
            double total = weights + cache + reserveBytes;
            rows.Add(new PlanRow(g, model.Heads / g, g == model.KvHeads, cache, total, total <= memoryBytes));
        }
        int? best = rows.Where(r => r.Fits).Select(r => (int?)r.KvGroups).LastOrDefault();

        var suggestions = new List<PlanSuggestion>();
        if (best is null)
        {
            double budget = memoryBytes - reserveBytes - weights;
            if (budget <= 0)
            {
                suggestions.Add(new("weights", $"the weights alone ({Units.Gb(weights)} in {weightsDtype}) plus the reserve exceed the memory; use a lower --weights-dtype or more memory", null));
                foreach (var d in KvDtype.All.Where(d => d.BytesPerElement < weightsDtype.BytesPerElement).DistinctBy(d => d.BytesPerElement))
                {
                    double w = model.Parameters * d.BytesPerElement;
                    if (w + reserveBytes < memoryBytes)
                    {
                        suggestions.Add(new("weights-dtype", $"--weights-dtype {d} makes the weights {Units.Gb(w)}", w));
                        break;
                    }
                }
            }
            else
            {
                double perTokenMqa = KvCacheMath.BytesPerToken(model.Layers, 1, model.HeadDim, kvDtype);
                long maxBatch = (long)Math.Floor(budget / (perTokenMqa * context));
                long maxContext = (long)Math.Floor(budget / (perTokenMqa * batch));
                if (maxBatch >= 1)
                    suggestions.Add(new("batch", $"with G = 1, a batch of at most {maxBatch} fits at context {Units.Int(context)}", maxBatch));
                else
                    suggestions.Add(new("batch", $"with G = 1, not even a batch of 1 fits at context {Units.Int(context)}", 0));
                if (maxContext >= 1)
                    suggestions.Add(new("context", $"with G = 1, a context of at most {Units.Int(maxContext)} tokens fits at batch {batch}", maxContext));
                foreach (var d in KvDtype.All.Where(d => d.BytesPerElement < kvDtype.BytesPerElement).OrderByDescending(d => d.BytesPerElement).DistinctBy(d => d.BytesPerElement))
                {
                    int? g = KvCacheMath.Divisors(model.Heads)
                        .Where(x => KvCacheMath.TotalBytes(model.Layers, x, model.HeadDim, context, batch, d) <= budget)
                        .Select(x => (int?)x).LastOrDefault();
                    if (g is int gg)
                    {
                        suggestions.Add(new("kv-dtype", $"--kv-dtype {d} fits with G up to {gg}", gg));
                        break;
                    }
                }
            }
        }
        return new PlanResult(model, context, batch, memoryBytes, reserveBytes, weightsDtype, kvDtype, weights, rows, best, suggestions);
    }
}
