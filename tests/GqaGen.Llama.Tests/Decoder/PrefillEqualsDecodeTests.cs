using GqaGen.Gguf;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// The prompt pass (batched weight products and the tiled prefill-attention kernel) computes what one decode step per
/// token computes: the last token's logits agree within 1e-5 normwise, for prompt lengths that cross the kernels'
/// tiles and the session's chunks, with and without positions cached before the prompt, on one and two threads.
/// An fp32 cache, so that the comparison is of the arithmetic, not of two roundings of the keys and values to 16 bits.
/// </summary>
public sealed class PrefillEqualsDecodeTests
{
    private const double Bound = 1e-5;
    private static readonly Random Random = new(Environment.TickCount);

    public static TheoryData<string, int, int, int> Cases()
    {
        var cases = new TheoryData<string, int, int, int>();
        foreach (int tokens in new[] { 2, 15, 16, 17, 31, 32, 33, 100 })
        {
            cases.Add("Gqa", tokens, 0, 1);
            cases.Add("Gqa", tokens, 37, 2);
        }
        foreach (string model in new[] { "Mha", "Mqa" })
        {
            cases.Add(model, 33, 0, 2);
            cases.Add(model, 100, 37, 1);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prefill_logits_equal_token_by_token_decode(string model, int tokens, int cachedBefore, int threads)
    {
        var spec = TestModels.Named(model);
        using GgufFile file = TestModels.Open(spec);
        using var llama = LlamaModel.Load(file, new LlamaModelOptions { Threads = threads, KvElementType = KvElementType.Float32 });
        int[] before = TestModels.RandomTokens(cachedBefore, spec.VocabularySize, Random.Next());
        int[] prompt = TestModels.RandomTokens(tokens, spec.VocabularySize, Random.Next());

        using var decoded = llama.CreateSession(cachedBefore + tokens + 1);
        float[] stepLogits = [];
        foreach (int token in (int[])[.. before, .. prompt])
            stepLogits = decoded.Decode(token).ToArray();

        using var prefilled = llama.CreateSession(cachedBefore + tokens + 1);
        foreach (int token in before)
            prefilled.Decode(token);
        float[] prefillLogits = prefilled.Prefill(prompt).ToArray();

        double error = LogitsAssert.RelativeError(prefillLogits, stepLogits);
        Assert.True(error <= Bound, $"{model}, {tokens} prompt tokens after {cachedBefore} cached, {threads} thread(s): prefill and decode logits differ by {error:E2}");

        // And the cache the prompt pass left behind serves the next step as the decoded one does.
        int next = Random.Next(spec.VocabularySize);
        double nextError = LogitsAssert.RelativeError(prefilled.Decode(next), decoded.Decode(next).ToArray());
        Assert.True(nextError <= Bound, $"{model}: the step after the prompt differs by {nextError:E2}");
    }
}
