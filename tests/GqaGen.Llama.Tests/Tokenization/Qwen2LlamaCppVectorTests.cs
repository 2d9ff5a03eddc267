using System.Text.RegularExpressions;
using GqaGen.Llama.Tokenization;

namespace GqaGen.Llama.Tests.Tokenization;

/// <summary>
/// The Qwen2 tokenizer against llama.cpp's own token ids for <see cref="Qwen2TestVocabulary"/>.
/// </summary>
/// <remarks>
/// How the ids were made (2026-12-04): <see cref="Qwen2TestVocabulary.WriteGguf"/> wrote the vocabulary to
/// <c>vocab.gguf</c>; each text was saved to a file byte for byte (UTF-8, no trailing newline) and run through
/// llama.cpp at commit c392e5094 (/work/shared/peers/llama.cpp-c392e5094/bin) as
/// <c>llama-tokenize -m vocab.gguf -f text.txt --ids --no-escape --log-disable</c>, adding
/// <c>--no-parse-special</c> for the case marked so. llama.cpp added no BOS (add-BOS is off for this vocabulary, as for
/// Qwen2's). llama.cpp's own <c>ggml-vocab-qwen2.gguf.inp/.out</c> vectors need Qwen2's 151k-token vocabulary, which
/// this project does not ship, so its small stand-in holds merges that only a wrong pre-tokenizer would use
/// ("12", "2024": Qwen2 splits digits one by one).
/// </remarks>
public sealed class Qwen2LlamaCppVectorTests
{
    public static TheoryData<string, bool, int[]> Vectors() => new()
    {
        { "Hello world", true, [259, 264] },
        { "Hello, world! It's 2024 and I'M here 12345.", true,
            [259, 44, 264, 33, 32, 73, 116, 268, 32, 50, 48, 50, 52, 316, 32, 73, 39, 77, 32, 104, 101, 114, 101, 32, 49, 50, 51, 52, 53, 46] },
        { "  leading spaces\n\nnew lines\r\n\ttabs   ", true,
            [32, 32, 108, 101, 97, 100, 321, 327, 280, 110, 101, 119, 32, 108, 320, 101, 115, 13, 10, 9, 116, 97, 98, 115, 279, 32] },
        { "你好，世界！ 中文 123", true, [304, 239, 188, 140, 309, 239, 188, 129, 32, 305, 173, 230, 150, 135, 32, 49, 50, 51] },
        { "emoji 😀👍🏽 done 😀😀", true, [101, 109, 111, 106, 105, 32, 312, 310, 145, 141, 310, 143, 189, 32, 318, 101, 32, 312, 312] },
        { "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", true, [329, 289, 10, 72, 105, 299, 330, 10, 329, 297, 10] },
        { "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", false,
            [60, 124, 105, 109, 95, 115, 116, 97, 114, 116, 124, 62, 289, 10, 72, 105, 299, 60, 124, 105, 109, 95, 101, 110, 100, 124, 62, 10,
             60, 124, 105, 109, 95, 115, 116, 97, 114, 116, 124, 62, 297, 10] },
        { "3.14159 and 1,000,000 or ١٢٣ and ½", true,
            [51, 46, 49, 52, 49, 53, 57, 316, 32, 49, 44, 48, 48, 48, 44, 48, 48, 48, 32, 111, 114, 32, 217, 161, 217, 162, 217, 163, 316, 32, 194, 189] },
        { "don't DON'T we've they'LL you'Re", true,
            [318, 319, 32, 68, 79, 78, 39, 84, 260, 101, 39, 118, 101, 267, 121, 39, 76, 76, 32, 121, 111, 117, 39, 82, 101] },
        { "𠀀𝐀x mixed ﬁ café naïve", true,
            [240, 160, 128, 128, 240, 157, 144, 128, 120, 32, 109, 105, 120, 101, 100, 32, 239, 172, 129, 32, 99, 97, 102, 195, 169, 32, 110, 97, 195, 175, 118, 101] },
        { "Hello\n\n\n  world .\n !!! ?!\n", true, [259, 280, 10, 32, 264, 32, 281, 32, 313, 33, 32, 63, 33, 10] },
    };

    private static readonly GgufTokenizer Tokenizer = GgufTokenizer.Create(Qwen2TestVocabulary.Create());

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encoding_matches_llama_cpp(string text, bool parseSpecial, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text, addBos: true, parseSpecial));
        // Decoding gives the text back, except that control tokens decode to nothing (llama.cpp's special = false).
        string withoutControls = parseSpecial ? Regex.Replace(text, @"<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>", "") : text;
        Assert.Equal(withoutControls, Tokenizer.Decode(expected));
    }

    [Fact]
    public void Vocabulary_has_qwen2_settings_and_end_of_generation_tokens()
    {
        var data = Qwen2TestVocabulary.Create();
        Assert.Equal("qwen2", data.PreTokenizer);
        Assert.False(Tokenizer.AddBos);
        int endOfText = data.Tokens.Count - 3, imStart = endOfText + 1, imEnd = endOfText + 2;
        Assert.Equal(("<|endoftext|>", "<|im_start|>", "<|im_end|>"), (data.Tokens[endOfText], data.Tokens[imStart], data.Tokens[imEnd]));
        Assert.Equal(imEnd, Tokenizer.EosId);
        // llama.cpp ends generation at EOS and at the tokens it recognises as end-of-turn by text: both of Qwen's.
        Assert.True(Tokenizer.IsEndOfGeneration(imEnd));
        Assert.True(Tokenizer.IsEndOfGeneration(endOfText));
        Assert.False(Tokenizer.IsEndOfGeneration(imStart));
    }
}
