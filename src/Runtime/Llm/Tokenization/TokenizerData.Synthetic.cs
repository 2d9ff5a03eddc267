namespace GqaGen.Llm.Tokenization;

public sealed partial record TokenizerData
{
    /// <summary>A small, deterministic byte-level BPE vocabulary (no downloads): the 256 byte tokens in GPT-2's
    /// byte-to-character mapping (token <i>b</i> stands for byte <i>b</i>), merges learned greedily from a few
    /// built-in English paragraphs, and <c>&lt;|begin_of_text|&gt;</c> (BOS) and <c>&lt;|end_of_text|&gt;</c> (EOS) as
    /// control tokens with the last two ids; Llama 3's pre-tokenizer (<c>"llama-bpe"</c>), add-BOS on.</summary>
    /// <remarks>Sizes beyond what the paragraphs teach (about 700 tokens) are filled with joined pairs of learned
    /// tokens, each with its merge. The same size always gives the same data.</remarks>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 258.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 258.</exception>
    public static TokenizerData SyntheticGpt2(int vocabularySize) => SyntheticVocabulary.Gpt2(vocabularySize);

    /// <summary>A small, deterministic SentencePiece vocabulary (no downloads), numbered as Llama 2's:
    /// <c>&lt;unk&gt;</c> 0, <c>&lt;s&gt;</c> 1 (BOS), <c>&lt;/s&gt;</c> 2 (EOS), the byte-fallback tokens
    /// <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> 3..258, then the characters of a few built-in English paragraphs
    /// (<c>"▁"</c>, letters, digits, punctuation) and the pieces learned from them (<c>"▁the"</c>, ...), scored so that
    /// earlier-learned pieces merge first. Characters outside the vocabulary encode through byte fallback.</summary>
    /// <remarks>Sizes beyond what the paragraphs teach (about 800 tokens) are filled with joined pairs of learned
    /// pieces, scored below them. The same size always gives the same data.</remarks>
    /// <param name="vocabularySize">Tokens in the vocabulary, at least 259.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 259.</exception>
    public static TokenizerData SyntheticLlama(int vocabularySize) => SyntheticVocabulary.Llama(vocabularySize);
}
