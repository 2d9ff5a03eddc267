namespace GqaGen.Samples;

/// <summary>
/// The default command: checks every sample layout's generated kernel against the naive reference, then times it
/// against the generic kernel at a few context lengths, and prints one table.
/// </summary>
internal static class LayoutsCommand
{
    public static int Run()
    {
        var contexts = new[] { 512, 4096, 32768 };
        Console.WriteLine($"GqaGen sample layouts: generated vs generic decode, fp32 KV, 1 layer, 1 thread ({Environment.ProcessorCount} cores visible).");
        Console.WriteLine($"Times: median of {LayoutBench.TimedRuns} timed runs of ~20 ms per kernel, generated and generic alternated, "
            + "after the same untimed warm-up for both (alternated until tiered JIT has settled).");
        Console.WriteLine($"Max rel. error = worst over heads of max|out - ref| / max|ref| (reference: GqaReference, double precision), lengths 1, 17, 1000.");
        Console.WriteLine();

        var table = new ResultTable();
        table.Add(LayoutBench.Run<Llama3_8B>("Llama-3-8B", contexts));
        table.Add(LayoutBench.Run<Llama32_1B>("Llama-3.2-1B", contexts));
        table.Add(LayoutBench.Run<TinyLlama_1_1B>("TinyLlama-1.1B", contexts));
        table.Add(LayoutBench.Run<Qwen25_0_5B>("Qwen2.5-0.5B", contexts));
        table.Add(LayoutBench.Run<SmolLM2_135M>("SmolLM2-135M", contexts));
        table.Add(LayoutBench.Run<Gpt2>("GPT-2 (MHA)", contexts));
        table.Add(LayoutBench.Run<Falcon7B>("Falcon-7B (MQA)", contexts));
        table.Print(Console.Out);

        return table.AllAccurate ? 0 : 1;
    }
}
