namespace GqaGen.Llama.Chat;

/// <summary>The prompt formats of llama.cpp's legacy formatter (<c>llm_chat_template</c> in llama-chat.cpp at commit
/// c392e5094), each with the name llama.cpp gives it (<c>LLM_CHAT_TEMPLATES</c>).</summary>
internal enum ChatFamily
{
    ChatML, Llama2, Llama2Sys, Llama2SysBos, Llama2SysStrip, MistralV1, MistralV3, MistralV3Tekken, MistralV7,
    Phi3, Phi4, Falcon3, Zephyr, Monarch, Gemma, Orion, OpenChat, Vicuna, VicunaOrca, DeepSeek, DeepSeek2, DeepSeek3,
    CommandR, Llama3, ChatGlm3, ChatGlm4, GlmEdge, MiniCpm, Exaone3, RwkvWorld, Granite, GigaChat, Megrez,
}

/// <summary>llama.cpp's name of each <see cref="ChatFamily"/>: the names <c>llama_chat_builtin_templates</c> lists and
/// <c>--chat-template</c> accepts.</summary>
internal static class ChatFamilyNames
{
    private static readonly Dictionary<string, ChatFamily> ByName = new(StringComparer.Ordinal)
    {
        ["chatml"] = ChatFamily.ChatML,
        ["llama2"] = ChatFamily.Llama2,
        ["llama2-sys"] = ChatFamily.Llama2Sys,
        ["llama2-sys-bos"] = ChatFamily.Llama2SysBos,
        ["llama2-sys-strip"] = ChatFamily.Llama2SysStrip,
        ["mistral-v1"] = ChatFamily.MistralV1,
        ["mistral-v3"] = ChatFamily.MistralV3,
        ["mistral-v3-tekken"] = ChatFamily.MistralV3Tekken,
        ["mistral-v7"] = ChatFamily.MistralV7,
        ["phi3"] = ChatFamily.Phi3,
        ["phi4"] = ChatFamily.Phi4,
        ["falcon3"] = ChatFamily.Falcon3,
        ["zephyr"] = ChatFamily.Zephyr,
        ["monarch"] = ChatFamily.Monarch,
        ["gemma"] = ChatFamily.Gemma,
        ["orion"] = ChatFamily.Orion,
        ["openchat"] = ChatFamily.OpenChat,
        ["vicuna"] = ChatFamily.Vicuna,
        ["vicuna-orca"] = ChatFamily.VicunaOrca,
        ["deepseek"] = ChatFamily.DeepSeek,
        ["deepseek2"] = ChatFamily.DeepSeek2,
        ["deepseek3"] = ChatFamily.DeepSeek3,
        ["command-r"] = ChatFamily.CommandR,
        ["llama3"] = ChatFamily.Llama3,
        ["chatglm3"] = ChatFamily.ChatGlm3,
        ["chatglm4"] = ChatFamily.ChatGlm4,
        ["glmedge"] = ChatFamily.GlmEdge,
        ["minicpm"] = ChatFamily.MiniCpm,
        ["exaone3"] = ChatFamily.Exaone3,
        ["rwkv-world"] = ChatFamily.RwkvWorld,
        ["granite"] = ChatFamily.Granite,
        ["gigachat"] = ChatFamily.GigaChat,
        ["megrez"] = ChatFamily.Megrez,
    };

    private static readonly string[] NamesByFamily = BuildNamesByFamily();

    /// <summary>Every name in ordinal order, the order of llama.cpp's <c>std::map</c> and of its <c>--help</c> list.</summary>
    public static IReadOnlyList<string> All { get; } = [.. ByName.Keys.Order(StringComparer.Ordinal)];

    public static string Name(ChatFamily family) => NamesByFamily[(int)family];

    public static bool TryParse(string name, out ChatFamily family) => ByName.TryGetValue(name, out family);

    private static string[] BuildNamesByFamily()
    {
        var names = new string[Enum.GetValues<ChatFamily>().Length];
        foreach (var (name, family) in ByName)
            names[(int)family] = name;
        return names;
    }
}
