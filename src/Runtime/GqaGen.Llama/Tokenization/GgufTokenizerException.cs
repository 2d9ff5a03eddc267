namespace GqaGen.Llama.Tokenization;

/// <summary>The tokenizer metadata of a GGUF file (or a <see cref="TokenizerData"/> built in code) is missing a key
/// or is inconsistent. The message names the key, the value found and what was expected; <see cref="Key"/> holds
/// the key.</summary>
/// <remarks>Values of the wrong GGUF type are reported by the reader as <see cref="Gguf.GgufFormatException"/>, which
/// also names the key. An unsupported <c>tokenizer.ggml.model</c> or <c>tokenizer.ggml.pre</c> is a
/// <see cref="NotSupportedException"/> instead: the data is well formed, this library just cannot run it.</remarks>
public sealed class GgufTokenizerException : FormatException
{
    /// <summary>Creates the exception for a problem with metadata <paramref name="key"/>.</summary>
    /// <param name="key">The GGUF key at fault, e.g. <c>tokenizer.ggml.scores</c>.</param>
    /// <param name="message">What is wrong, naming the value found and what was expected.</param>
    public GgufTokenizerException(string key, string message)
        : base($"Bad tokenizer metadata '{key}': {message}")
    {
        Key = key;
    }

    /// <summary>The GGUF metadata key at fault, e.g. <c>tokenizer.ggml.scores</c>.</summary>
    public string Key { get; }
}
