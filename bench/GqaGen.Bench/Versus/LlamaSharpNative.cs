using LLama.Native;

namespace GqaGen.Bench.Versus;

/// <summary>LLamaSharp's native library, configured once per process before its first use.</summary>
internal static class LlamaSharpNative
{
    private static readonly Lock Gate = new();
    private static bool _configured;
    private static string? _flashAttention;

    /// <summary>llama.cpp's last log line about flash attention (e.g. that "auto" was resolved to enabled when a context
    /// was created), or null if none came: what its default actually chose on this machine.</summary>
    public static string? FlashAttentionLog
    {
        get
        {
            lock (Gate)
                return _flashAttention;
        }
    }

    /// <summary>
    /// Sends llama.cpp's log (hundreds of lines per model load and context) nowhere but errors, which go to
    /// stderr: the benchmark's stderr is its progress. Only the first call has an effect, and only before the library
    /// has loaded (LLamaSharp fixes its configuration at load).
    /// </summary>
    public static void Configure()
    {
        lock (Gate)
        {
            if (_configured || NativeLibraryConfig.LLama.LibraryHasLoaded)
                return;
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (message.Contains("flash", StringComparison.OrdinalIgnoreCase) || message.Contains("Flash Attention", StringComparison.Ordinal))
                {
                    lock (Gate)
                        _flashAttention = message.Trim();
                }
                if (level == LLamaLogLevel.Error)
                    Console.Error.Write($"llama.cpp (LLamaSharp): {message}");
            });
        }
    }
}
