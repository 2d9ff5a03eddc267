namespace GqaGen.Cli;

/// <summary>An input error: reported as one line on stderr with exit code 1, never as a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
