using System.Diagnostics;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Llama.Tests.Support;

namespace GqaGen.Llama.Tests.Decoder;

/// <summary>
/// Broken model files, through the whole load path (GGUF parse → config → weights → tokenizer → a decode step):
/// only the documented exception types may come out — <see cref="FormatException"/> (GgufFormatException,
/// GgufTokenizerException), <see cref="InvalidDataException"/> and <see cref="NotSupportedException"/> — each
/// with a message; never an IndexOutOfRange, overflow, null reference or out-of-memory.
/// </summary>
public sealed class MalformedModelTests
{
    private static readonly byte[] Valid = TestModels.Bytes(TestModels.Gqa);

    [Fact]
    public void Model_truncated_anywhere_fails_with_a_documented_exception()
    {
        // Every byte through the header, metadata and tensor infos, then strides through the tensor data.
        using GgufFile whole = GgufFile.Parse(Valid);
        var lengths = Enumerable.Range(0, (int)whole.DataOffset + 1)
            .Concat(Enumerable.Range(0, 64).Select(i => (int)(whole.DataOffset + (Valid.Length - whole.DataOffset) * i / 64)))
            .Append(Valid.Length - 1)
            .Distinct();
        foreach (int length in lengths)
        {
            Exception? e = Record.Exception(() => LoadAndStep(Valid.AsSpan(0, length).ToArray()));
            AssertDocumented(e, $"truncated to {length} of {Valid.Length} bytes");
            Assert.NotNull(e); // a truncated file never loads
        }
    }

    [Fact]
    public void Model_with_random_byte_flips_fails_with_a_documented_exception_or_loads()
    {
        using GgufFile whole = GgufFile.Parse(Valid);
        int headerEnd = (int)whole.DataOffset;
        var random = new Random(20261126);
        var clock = Stopwatch.StartNew();
        int cases = 0, loaded = 0;
        // Bounded in time as well as count, so a slow machine still finishes.
        while (cases < 4000 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            byte[] broken = (byte[])Valid.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly metadata and tensor infos, where a flip changes meaning; some tensor data too.
                int at = random.Next(4) == 0 ? random.Next(broken.Length) : random.Next(headerEnd);
                broken[at] ^= (byte)(1 << random.Next(8));
            }
            Exception? e = Record.Exception(() => LoadAndStep(broken));
            AssertDocumented(e, $"case {cases} (seed 20261126)");
            if (e is null)
                loaded++;
            cases++;
        }
        Assert.True(cases >= 200, $"Only {cases} cases ran in the time bound.");
        Assert.True(loaded < cases, "Every flipped file loaded: the flips never hit anything the loader checks.");
    }

    [Theory]
    [InlineData("llama.block_count", 1_000_000_000u, "llama.block_count")]
    [InlineData("llama.block_count", 2_147_483_647u, "llama.block_count")]
    [InlineData("llama.attention.head_count", 0u, "llama.attention.head_count")]
    [InlineData("llama.vocab_size", 0u, "VocabularySize must be positive")]
    [InlineData("llama.attention.head_count", 3u, "llama.attention.head_count")]
    [InlineData("llama.attention.head_count_kv", 0u, "llama.attention.head_count_kv")]
    [InlineData("llama.embedding_length", 4_000_000_000u, "llama.embedding_length")]
    [InlineData("llama.feed_forward_length", 0u, "FeedForwardLength must be positive")]
    [InlineData("llama.rope.dimension_count", 7u, "llama.rope.dimension_count")]
    public void LlamaModel_rejects_an_absurd_config_value_naming_it(string key, uint value, string named)
    {
        var e = Assert.Throws<InvalidDataException>(() => LoadAndStep(WithUInt32(key, value)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LlamaModel_refuses_key_and_value_heads_of_different_sizes_naming_both()
    {
        var e = Assert.Throws<NotSupportedException>(() => LoadAndStep(WithUInt32("llama.attention.key_length", 600)));
        Assert.Contains("key_length 600, value_length 16", e.Message, StringComparison.Ordinal);
    }

    private static byte[] WithUInt32(string key, uint value)
    {
        using GgufFile source = GgufFile.Parse(Valid);
        return new GgufRewriter(source).SetUInt32(key, value).ToArray();
    }

    private static void LoadAndStep(byte[] bytes)
    {
        using GgufFile file = GgufFile.Parse(bytes);
        using LlamaModel model = LlamaModel.Load(file);
        using LlamaSession session = model.CreateSession(4);
        session.Decode(model.Tokenizer.BosId);
    }

    private static void AssertDocumented(Exception? e, string what)
    {
        if (e is null)
            return;
        Assert.True(e is FormatException or InvalidDataException or NotSupportedException,
            $"{what}: {e.GetType().Name} escaped (only FormatException, InvalidDataException and NotSupportedException are documented): {e}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{what}: {e.GetType().Name} without a message");
    }
}
