namespace GqaGen.Cli;

/// <summary>One layout's line in a plan.</summary>
/// <param name="Attention">"MHA", "GQA", "MQA", or "MLA" for a latent-attention model's own cache.</param>
/// <param name="KvGroups">G for the MHA/GQA/MQA rows; null for the MLA row.</param>
public sealed record PlanRow(string Attention, int? KvGroups, int? HeadsPerGroup, bool IsModelLayout, double CacheBytes, double TotalBytes, bool Fits);

public sealed record PlanSuggestion(string Kind, string Text, double? Value);

/// <summary>What the plan knows of the model (the JSON <c>model</c> object).</summary>
public sealed record PlanModel(string Name, string Attention, int Layers, int Heads, int KvHeads, int HeadDim, int ValueHeadDim,
    double Parameters, double? ActiveParameters, string? Experts, int? MaxContext, int? SlidingWindow, int WindowedLayers,
    int? LatentElementsPerLayer, string Source);

public sealed record PlanResult(
    PlanModel Model,
    long Context,
    long Batch,
    double MemoryBytes,
    double ReserveBytes,
    string WeightsDtype,
    string WeightsNote,
    KvDtype KvDtype,
    string KvDtypeNote,
    double WeightsBytes,
    IReadOnlyList<PlanRow> Rows,
    int? RecommendedKvGroups,
    bool ModelLayoutFits,
    IReadOnlyList<PlanSuggestion> Suggestions,
    IReadOnlyList<string> Warnings);

/// <summary>
/// For every divisor G of H: weights + KV cache + reserve against the memory; recommends the largest G that fits.
/// The KV cache is <see cref="KvCacheMath.ModelBytes"/>, the computation <c>inspect</c> uses, so windows per layer
/// and latent attention count the same in both. A latent-attention model gets its own MLA row besides the
/// hypothetical MHA/GQA/MQA rows.
/// </summary>
public static class Planner
{
    /// <param name="weightsDtype">Null: the model's real weight bytes when known (GGUF tensors), else bf16.</param>
    /// <param name="kvDtype">Null: the model's serving dtype (<see cref="ModelConfig.Dtype"/>).</param>
    public static PlanResult Plan(ModelConfig model, long context, long batch, double memoryBytes, double reserveBytes,
        KvDtype? weightsDtype, KvDtype? kvDtype)
    {
        Validate.Positive(context, "--context");
        Validate.Positive(batch, "--batch");
        Validate.Positive(memoryBytes, "--memory");
        if (reserveBytes < 0 || reserveBytes >= memoryBytes)
            throw new CliException($"--reserve {Units.Gb(reserveBytes)} must be smaller than --memory {Units.Gb(memoryBytes)}");

        var parameters = model.Parameters ?? throw new CliException(
            $"'{model.Source}' has no vocab_size / intermediate_size to count the parameters; pass --params (e.g. --params 7B)");
        KvDtype kv = kvDtype ?? model.Dtype;
        string kvNote = kvDtype is null ? model.DtypeReason : $"{kv} (--kv-dtype)";
        double weights;
        string weightsName, weightsNote;
        if (weightsDtype is null && model.WeightBytes is double real)
        {
            weights = real;
            weightsName = "as stored";
            weightsNote = "the tensors' own types in the GGUF file";
        }
        else
        {
            var w = weightsDtype ?? KvDtype.Bf16;
            weights = parameters.Total * w.BytesPerElement;
            weightsName = w.Name;
            weightsNote = weightsDtype is null ? "bf16 (default; --weights-dtype to change)" : $"{w} (--weights-dtype)";
        }
        if (parameters.Experts is not null)
            weightsNote += $"; all {Units.Params(parameters.Total)} parameters held, {Units.Params(parameters.Active)} active per token";

        var rows = new List<PlanRow>();
        foreach (int g in KvCacheMath.Divisors(model.Heads))
        {
            double cache = KvCacheMath.ModelBytes(model, context, batch, kv, g);
            double total = weights + cache + reserveBytes;
            string kind = g == model.Heads ? "MHA" : g == 1 ? "MQA" : "GQA";
            rows.Add(new PlanRow(kind, g, model.Heads / g, model.Latent is null && g == model.KvHeads, cache, total, total <= memoryBytes));
        }
        if (model.Latent is not null)
        {
            double cache = KvCacheMath.ModelBytes(model, context, batch, kv);
            double total = weights + cache + reserveBytes;
            rows.Add(new PlanRow("MLA", null, null, true, cache, total, total <= memoryBytes));
        }
        // A latent-attention model has no G to recommend: its G rows are hypothetical GQA caches of the same heads.
        int? best = model.Latent is not null ? null
            : rows.Where(r => r.Fits && r.KvGroups is not null).Select(r => r.KvGroups).LastOrDefault();
        bool modelFits = rows.Single(r => r.IsModelLayout).Fits;

        var suggestions = new List<PlanSuggestion>();
        if (!modelFits || (model.Latent is null && best is null))
            Suggest(model, context, batch, memoryBytes, reserveBytes, weightsDtype ?? KvDtype.Bf16, kv, parameters.Total, weights, suggestions);

        var summary = new PlanModel(model.Name, model.Attention.ToString().ToUpperInvariant(), model.Layers, model.Heads, model.KvHeads,
            model.HeadDim, model.ValueHeadDim, parameters.Total, parameters.Experts is null ? null : parameters.Active, parameters.Experts,
            model.MaxContext, model.SlidingWindow, model.WindowedLayers, model.Latent?.CachedElementsPerLayer, model.Source);
        return new PlanResult(summary, context, batch, memoryBytes, reserveBytes, weightsName, weightsNote, kv, kvNote, weights, rows, best,
            modelFits, suggestions, ContextWarnings(model, context));
    }

    /// <summary>The warning <c>inspect</c> and <c>plan</c> both give for a context the model was not built for.</summary>
    public static IReadOnlyList<string> ContextWarnings(ModelConfig model, long context) =>
        model.MaxContext is int max && context > max
            ? [$"context {Units.Int(context)} is beyond {model.Name}'s maximum of {Units.Int(max)} tokens (max_position_embeddings); the model was not trained for it, so the sizes are hypothetical"]
            : [];

    private static void Suggest(ModelConfig model, long context, long batch, double memoryBytes, double reserveBytes, KvDtype weightsDtype,
        KvDtype kv, double parameters, double weights, List<PlanSuggestion> suggestions)
    {
        double budget = memoryBytes - reserveBytes - weights;
        if (budget <= 0)
        {
            suggestions.Add(new("weights", $"the weights alone ({Units.Gb(weights)}) plus the reserve exceed the memory; use a lower --weights-dtype or more memory", null));
            foreach (var d in KvDtype.All.Where(d => d.BytesPerElement < weightsDtype.BytesPerElement).DistinctBy(d => d.BytesPerElement))
            {
                double w = parameters * d.BytesPerElement;
                if (w + reserveBytes < memoryBytes)
                {
                    suggestions.Add(new("weights-dtype", $"--weights-dtype {d} makes the weights {Units.Gb(w)}", w));
                    break;
                }
            }
            return;
        }
        // The smallest cache: G = 1, or a latent-attention model's own latent (GQA rows of it are hypothetical).
        int? smallest = model.Latent is null ? 1 : null;
        string with = model.Latent is null ? "with G = 1" : "with the model's MLA cache";
        double oneSequence = KvCacheMath.ModelBytes(model, context, 1, kv, smallest);
        long maxBatch = (long)Math.Floor(budget / oneSequence);
        suggestions.Add(maxBatch >= 1
            ? new("batch", $"{with}, a batch of at most {maxBatch} fits at context {Units.Int(context)}", maxBatch)
            : new("batch", $"{with}, not even a batch of 1 fits at context {Units.Int(context)}", 0));
        // Windowed layers stop growing at their window, so bytes are not proportional to context: search.
        long lo = 0, hi = context;
        while (lo < hi)
        {
            long mid = lo + (hi - lo + 1) / 2;
            if (KvCacheMath.ModelBytes(model, mid, batch, kv, smallest) <= budget) lo = mid; else hi = mid - 1;
        }
        if (lo >= 1)
            suggestions.Add(new("context", $"{with}, a context of at most {Units.Int(lo)} tokens fits at batch {batch}", lo));
        foreach (var d in KvDtype.All.Where(d => d.BytesPerElement < kv.BytesPerElement).OrderByDescending(d => d.BytesPerElement).DistinctBy(d => d.BytesPerElement))
        {
            if (model.Latent is not null)
            {
                // The model's own cache is the latent one; a narrower dtype either fits it or does not.
                if (KvCacheMath.ModelBytes(model, context, batch, d) <= budget)
                {
                    suggestions.Add(new("kv-dtype", $"--kv-dtype {d} fits the model's MLA cache", null));
                    break;
                }
                continue;
            }
            int? g = KvCacheMath.Divisors(model.Heads)
                .Where(x => KvCacheMath.ModelBytes(model, context, batch, d, x) <= budget)
                .Select(x => (int?)x).LastOrDefault();
            if (g is int gg)
            {
                suggestions.Add(new("kv-dtype", $"--kv-dtype {d} fits with G up to {gg}", gg));
                break;
            }
        }
    }
}
