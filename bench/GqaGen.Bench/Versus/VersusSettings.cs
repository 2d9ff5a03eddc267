using GqaGen.Llama;

namespace GqaGen.Bench.Versus;

/// <summary>A parsed <c>decoder-versus</c> command line.</summary>
/// <param name="ModelPath">The GGUF file every program runs.</param>
/// <param name="Threads">Thread counts, each a separate set of rows.</param>
/// <param name="Rounds">Rounds per row; each runs every program once.</param>
/// <param name="Steps">Greedy decode steps per timed decode run.</param>
/// <param name="Depth">Positions filled before the depth rows.</param>
/// <param name="Prompts">Prompt lengths of the prompt rows (one equal to <paramref name="Depth"/> is the fill).</param>
/// <param name="IncludeLlamaSharp">Whether LLamaSharp runs.</param>
/// <param name="LlamaCpp">llama.cpp's benchmark binaries, or null when absent.</param>
/// <param name="Activations">GqaGen's activations for a decode step's quantized products (<c>--activations</c>).</param>
internal sealed record VersusSettings(
    string ModelPath, int[] Threads, int Rounds, int Steps, int Depth, int[] Prompts, bool IncludeLlamaSharp, LlamaCppRunner? LlamaCpp,
    ActivationPrecision Activations = ActivationPrecision.Float32);
