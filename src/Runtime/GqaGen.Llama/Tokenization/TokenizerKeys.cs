namespace GqaGen.Llama.Tokenization;

/// <summary>The GGUF metadata keys of a tokenizer, as llama.cpp names them (<c>LLM_KV_TOKENIZER_*</c> in
/// llama-arch.cpp).</summary>
internal static class TokenizerKeys
{
    public const string Model = "tokenizer.ggml.model";
    public const string PreTokenizer = "tokenizer.ggml.pre";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string Scores = "tokenizer.ggml.scores";
    public const string TokenTypes = "tokenizer.ggml.token_type";
    public const string Merges = "tokenizer.ggml.merges";
    public const string BosId = "tokenizer.ggml.bos_token_id";
    public const string EosId = "tokenizer.ggml.eos_token_id";
    public const string UnknownId = "tokenizer.ggml.unknown_token_id";
    public const string PaddingId = "tokenizer.ggml.padding_token_id";
    public const string AddBos = "tokenizer.ggml.add_bos_token";
    public const string AddEos = "tokenizer.ggml.add_eos_token";
    public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";
}
