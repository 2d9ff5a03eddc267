namespace GqaGen.Llama.Chat;

/// <summary>No chat format can be chosen: the template text is not one llama.cpp's built-in formatter recognises, or
/// the model has no template and none was given. The message says which, names the families tried and how to choose
/// one explicitly.</summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="templateText">The template text that was not recognised, or null when there was none.</param>
    public ChatTemplateException(string message, string? templateText = null)
        : base(message)
    {
        TemplateText = templateText;
    }

    /// <summary>The template text that was not recognised, or null when the model had none and none was given.</summary>
    public string? TemplateText { get; }
}
