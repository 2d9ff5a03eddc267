using System.Security.Cryptography;

namespace GqaGen.Server.Endpoints;

/// <summary>Ids of completions in OpenAI's form: a prefix (<c>chatcmpl-</c>, <c>cmpl-</c>) and 24 random letters and digits.</summary>
internal static class CompletionIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new id with <paramref name="prefix"/>.</summary>
    public static string New(string prefix) => prefix + RandomNumberGenerator.GetString(Alphabet, 24);
}
