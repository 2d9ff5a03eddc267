namespace GqaGen.Llama.Chat;

/// <summary>
/// Picks the prompt format of a chat template text as llama.cpp's <c>llm_chat_detect_template</c> (llama-chat.cpp,
/// commit c392e5094) does: a built-in name selects its format; otherwise the text is searched for each family's
/// markers, in llama.cpp's order, and the first family whose markers are all present wins. The text is never run as
/// Jinja.
/// </summary>
/// <remarks>The order matters where markers meet: <c>&lt;|im_start|&gt;</c> beats <c>[INST]</c>; <c>&lt;|assistant|&gt;</c>
/// with <c>&lt;|end|&gt;</c> (Phi-3) beats <c>&lt;|assistant|&gt;</c> with <c>&lt;|user|&gt;</c> (Falcon 3, or GLM-Edge
/// without <c>&lt;/s&gt;</c>), which beats Zephyr's <c>&lt;|user|&gt;</c> with <c>&lt;|endoftext|&gt;</c>; so the
/// TinyLlama and zephyr-7b-beta templates, which write <c>&lt;|user|&gt;</c> and <c>&lt;|assistant|&gt;</c> literally,
/// are GLM-Edge to llama.cpp. Matching is ordinal, as <c>std::string::find</c> is on UTF-8 bytes.</remarks>
internal static class ChatTemplateDetector
{
    /// <summary>The families in the order their markers are checked, each with the markers, for error messages.</summary>
    public static IReadOnlyList<string> CheckOrder { get; } =
    [
        "chatml (<|im_start|>), or phi4 with <|im_sep|>",
        "mistral-v7 ([INST] or a text starting with \"mistral\", with [SYSTEM_PROMPT])",
        "mistral-v1, mistral-v3-tekken, mistral-v3 (also ' [INST] ' + system_message or [AVAILABLE_TOOLS])",
        "llama2-sys-strip, llama2-sys-bos, llama2-sys, llama2 (the other [INST] templates)",
        "phi3 (<|assistant|> and <|end|>)",
        "falcon3 or glmedge (<|assistant|> and <|user|>, falcon3 with </s>)",
        "zephyr (<|user|> and <|endoftext|>)",
        "monarch (bos_token + message['role'])",
        "gemma (<start_of_turn>)",
        "orion ('\\n\\nAssistant: ' + eos_token)",
        "openchat (GPT4 Correct )",
        "vicuna, vicuna-orca (USER: and ASSISTANT:, vicuna-orca with SYSTEM: )",
        "deepseek (### Instruction: and <|EOT|>)",
        "command-r (<|START_OF_TURN_TOKEN|> and <|USER_TOKEN|>)",
        "llama3 (<|start_header_id|> and <|end_header_id|>)",
        "chatglm3 ([gMASK]sop)",
        "chatglm4 ([gMASK]<sop>)",
        "minicpm (<用户>)",
        "deepseek2 ('Assistant: ' + message['content'] + eos_token)",
        "deepseek3 (<｜Assistant｜>, <｜User｜> and <｜end▁of▁sentence｜>)",
        "exaone3 ([|system|], [|assistant|] and [|endofturn|])",
        "rwkv-world (rwkv-world)",
        "granite (<|start_of_role|>)",
        "gigachat (message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1])",
        "megrez (<|role_start|>)",
    ];

    /// <summary>The family llama.cpp would format <paramref name="text"/> with, or null when it knows none.</summary>
    public static ChatFamily? Detect(string text)
    {
        if (ChatFamilyNames.TryParse(text, out ChatFamily named))
            return named;

        bool Has(string marker) => text.Contains(marker, StringComparison.Ordinal);

        if (Has("<|im_start|>"))
            return Has("<|im_sep|>") ? ChatFamily.Phi4 : ChatFamily.ChatML;
        if (text.StartsWith("mistral", StringComparison.Ordinal) || Has("[INST]"))
        {
            if (Has("[SYSTEM_PROMPT]"))
                return ChatFamily.MistralV7;
            // Mistral's official v1 template, and the v3 / v3-tekken ones (which describe tools).
            if (Has("' [INST] ' + system_message") || Has("[AVAILABLE_TOOLS]"))
            {
                if (Has(" [INST]"))
                    return ChatFamily.MistralV1;
                if (Has("\"[INST]\""))
                    return ChatFamily.MistralV3Tekken;
                return ChatFamily.MistralV3;
            }
            if (Has("content.strip()"))
                return ChatFamily.Llama2SysStrip;
            if (Has("bos_token + '[INST]"))
                return ChatFamily.Llama2SysBos;
            return Has("<<SYS>>") ? ChatFamily.Llama2Sys : ChatFamily.Llama2;
        }
        if (Has("<|assistant|>") && Has("<|end|>"))
            return ChatFamily.Phi3;
        if (Has("<|assistant|>") && Has("<|user|>"))
            return Has("</s>") ? ChatFamily.Falcon3 : ChatFamily.GlmEdge;
        if (Has("<|user|>") && Has("<|endoftext|>"))
            return ChatFamily.Zephyr;
        if (Has("bos_token + message['role']"))
            return ChatFamily.Monarch;
        if (Has("<start_of_turn>"))
            return ChatFamily.Gemma;
        // Backslash-n as the template's Jinja source writes it, not a newline (OrionStarAI/Orion-14B-Chat).
        if (Has("'\\n\\nAssistant: ' + eos_token"))
            return ChatFamily.Orion;
        if (Has("GPT4 Correct "))
            return ChatFamily.OpenChat;
        if (Has("USER: ") && Has("ASSISTANT: "))
            return Has("SYSTEM: ") ? ChatFamily.VicunaOrca : ChatFamily.Vicuna;
        if (Has("### Instruction:") && Has("<|EOT|>"))
            return ChatFamily.DeepSeek;
        if (Has("<|START_OF_TURN_TOKEN|>") && Has("<|USER_TOKEN|>"))
            return ChatFamily.CommandR;
        if (Has("<|start_header_id|>") && Has("<|end_header_id|>"))
            return ChatFamily.Llama3;
        if (Has("[gMASK]sop"))
            return ChatFamily.ChatGlm3;
        if (Has("[gMASK]<sop>"))
            return ChatFamily.ChatGlm4;
        if (Has("<用户>"))
            return ChatFamily.MiniCpm;
        if (Has("'Assistant: ' + message['content'] + eos_token"))
            return ChatFamily.DeepSeek2;
        if (Has("<｜Assistant｜>") && Has("<｜User｜>") && Has("<｜end▁of▁sentence｜>"))
            return ChatFamily.DeepSeek3;
        if (Has("[|system|]") && Has("[|assistant|]") && Has("[|endofturn|]"))
            return ChatFamily.Exaone3;
        if (Has("rwkv-world"))
            return ChatFamily.RwkvWorld;
        if (Has("<|start_of_role|>"))
            return ChatFamily.Granite;
        if (Has("message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"))
            return ChatFamily.GigaChat;
        if (Has("<|role_start|>"))
            return ChatFamily.Megrez;
        return null;
    }
}
