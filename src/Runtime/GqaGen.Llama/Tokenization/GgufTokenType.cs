namespace GqaGen.Llama.Tokenization;

/// <summary>The type of one vocabulary entry, as <c>tokenizer.ggml.token_type</c> stores it.</summary>
/// <remarks>The numbers are llama.cpp's <c>llama_token_type</c> (llama.h), which are SentencePiece's
/// <c>ModelProto.SentencePiece.Type</c> values.</remarks>
public enum GgufTokenType
{
    /// <summary>0: no type given; decoded as nothing, as llama.cpp does.</summary>
    Undefined = 0,

    /// <summary>1: an ordinary piece of text.</summary>
    Normal = 1,

    /// <summary>2: the unknown token (<c>&lt;unk&gt;</c>); decoded as nothing.</summary>
    Unknown = 2,

    /// <summary>3: a control token (BOS, EOS, <c>&lt;|eot_id|&gt;</c>, ...); decoded as nothing and only recognised
    /// in text when special tokens are parsed.</summary>
    Control = 3,

    /// <summary>4: a user-defined token, always split out of the text before tokenization and decoded verbatim.</summary>
    UserDefined = 4,

    /// <summary>5: a reserved, unused entry; decoded as nothing.</summary>
    Unused = 5,

    /// <summary>6: a byte-fallback token <c>&lt;0xNN&gt;</c> of a SentencePiece vocabulary.</summary>
    Byte = 6,
}
