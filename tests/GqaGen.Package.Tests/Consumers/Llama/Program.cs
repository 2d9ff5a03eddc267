using GqaGen.Llama;
using LlamaConsumer;

// Writes a tiny random-weight Llama model with the public GgufWriter, loads it with the public API, and generates
// greedily twice: both runs must produce the same non-empty tokens. Exit code 0 on success, 1 otherwise.
string path = Path.Combine(AppContext.BaseDirectory, "tiny-llama.gguf");
TinyLlamaFile.Write(path, seed: 20251126);

using var model = LlamaModel.Load(path, new LlamaModelOptions { Threads = 1 });
Console.WriteLine("kernel=" + model.Attention.Description);
if (model.KernelWarning is not null)
    Console.WriteLine("warning=" + model.KernelWarning);

var options = new GenerationOptions { MaxTokens = 8, Sampling = SamplingOptions.Greedy, StopAtEndOfSequence = false };
var generator = new TextGenerator(model);
GenerationResult first = generator.Generate("Once upon the time", options);
GenerationResult second = generator.Generate("Once upon the time", options);
Console.WriteLine("prompt-tokens=" + string.Join(' ', first.PromptTokens));
Console.WriteLine("first=" + string.Join(' ', first.GeneratedTokens));
Console.WriteLine("second=" + string.Join(' ', second.GeneratedTokens));

if (first.GeneratedTokens.Count == 0)
{
    Console.Error.WriteLine("error: the model generated no tokens.");
    return 1;
}
if (!first.GeneratedTokens.SequenceEqual(second.GeneratedTokens) || first.Text != second.Text)
{
    Console.Error.WriteLine("error: two greedy runs of the same prompt generated different tokens.");
    return 1;
}
if (!model.Attention.IsGenerated)
{
    Console.Error.WriteLine("error: the [GqaLayout] declared for the model's layout was not used.");
    return 1;
}
Console.WriteLine("ok");
return 0;
