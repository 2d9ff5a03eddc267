namespace GqaGen.Llama.Chat;

/// <summary>
/// Writes a conversation in one <see cref="ChatFamily"/>'s format, character for character as llama.cpp's
/// <c>llm_chat_apply_template</c> (llama-chat.cpp, commit c392e5094) writes it; each method below is that function's
/// branch for its family. Roles are already validated (system, user or assistant).
/// </summary>
/// <remarks>
/// The generation prompt (llama.cpp's <c>add_ass</c>) is only ever appended at the end; the Llama 2, Mistral, Orion,
/// MiniCPM and RWKV formats have none. Trimming is C's <c>isspace</c> (<see cref="TrimCSpace"/>), never
/// <see cref="string.Trim()"/>, which also removes U+00A0 and other Unicode spaces.
/// </remarks>
internal static class ChatFormatter
{
    public static void Format(ChatFamily family, IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        switch (family)
        {
            case ChatFamily.ChatML: ChatML(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.MistralV7: MistralV7(messages, prompt); break;
            case ChatFamily.MistralV1 or ChatFamily.MistralV3 or ChatFamily.MistralV3Tekken: Mistral(family, messages, prompt); break;
            case ChatFamily.Llama2 or ChatFamily.Llama2Sys or ChatFamily.Llama2SysBos or ChatFamily.Llama2SysStrip: Llama2(family, messages, prompt); break;
            case ChatFamily.Phi3: RoleLines(messages, "<|", "|>\n", "<|end|>\n", addGenerationPrompt ? "<|assistant|>\n" : null, prompt); break;
            case ChatFamily.Phi4: RoleLines(messages, "<|im_start|>", "<|im_sep|>", "<|im_end|>", addGenerationPrompt ? "<|im_start|>assistant<|im_sep|>" : null, prompt); break;
            case ChatFamily.Falcon3: RoleLines(messages, "<|", "|>\n", "\n", addGenerationPrompt ? "<|assistant|>\n" : null, prompt); break;
            case ChatFamily.Zephyr: RoleLines(messages, "<|", "|>\n", "<|endoftext|>\n", addGenerationPrompt ? "<|assistant|>\n" : null, prompt); break;
            case ChatFamily.Monarch: Monarch(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Gemma: Gemma(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Orion: Orion(messages, prompt); break;
            case ChatFamily.OpenChat: OpenChat(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Vicuna or ChatFamily.VicunaOrca: Vicuna(family, messages, addGenerationPrompt, prompt); break;
            case ChatFamily.DeepSeek: DeepSeek(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.CommandR: CommandR(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Llama3: Llama3(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.ChatGlm3: prompt.Template("[gMASK]sop"); RoleLines(messages, "<|", "|>\n ", "", addGenerationPrompt ? "<|assistant|>" : null, prompt); break;
            case ChatFamily.ChatGlm4: prompt.Template("[gMASK]<sop>"); RoleLines(messages, "<|", "|>\n", "", addGenerationPrompt ? "<|assistant|>" : null, prompt); break;
            case ChatFamily.GlmEdge: RoleLines(messages, "<|", "|>\n", "", addGenerationPrompt ? "<|assistant|>" : null, prompt); break;
            case ChatFamily.MiniCpm: MiniCpm(messages, prompt); break;
            case ChatFamily.DeepSeek2: DeepSeek2(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.DeepSeek3: DeepSeek3(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Exaone3: Exaone3(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.RwkvWorld: RwkvWorld(messages, prompt); break;
            case ChatFamily.Granite: RoleLines(messages, "<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>\n", addGenerationPrompt ? "<|start_of_role|>assistant<|end_of_role|>\n" : null, prompt); break;
            case ChatFamily.GigaChat: GigaChat(messages, addGenerationPrompt, prompt); break;
            case ChatFamily.Megrez: RoleLines(messages, "<|role_start|>", "<|role_end|>", "<|turn_end|>", addGenerationPrompt ? "<|role_start|>assistant<|role_end|>" : null, prompt); break;
            default: throw new ArgumentOutOfRangeException(nameof(family), family, "Not a chat family.");
        }
    }

    /// <summary>Removes the characters C's <c>isspace</c> accepts in the C locale (space, \t, \n, \v, \f, \r) from
    /// both ends, as llama-chat.cpp's <c>trim</c> does byte by byte (UTF-8 bytes of other characters are never
    /// these, so trimming UTF-16 characters gives the same text).</summary>
    public static string TrimCSpace(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsCSpace(text[start]))
            start++;
        while (end > start && IsCSpace(text[end - 1]))
            end--;
        return text[start..end];
    }

    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>Formats where each message is <c>before + role + afterRole + content + afterContent</c>, then the
    /// generation prompt (Phi-3, Phi-4, Falcon 3, Zephyr, ChatGLM, GLM-Edge, Granite, Megrez).</summary>
    private static void RoleLines(IReadOnlyList<ChatTurn> messages, string beforeRole, string afterRole, string afterContent,
        string? generationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
            prompt.Template(beforeRole + message.Role + afterRole).Content(message.Content).Template(afterContent);
        if (generationPrompt is not null)
            prompt.Template(generationPrompt);
    }

    private static void ChatML(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
            prompt.Template("<|im_start|>" + message.Role + "\n").Content(message.Content).Template("<|im_end|>\n");
        if (addGenerationPrompt)
            prompt.Template("<|im_start|>assistant\n");
    }

    /// <summary>Mistral's v7 template (Mistral-Large-Instruct-2411).</summary>
    private static void MistralV7(IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Template("[SYSTEM_PROMPT] ").Content(message.Content).Template("[/SYSTEM_PROMPT]"); break;
                case ChatRoles.User: prompt.Template("[INST] ").Content(message.Content).Template("[/INST]"); break;
                default: prompt.Template(" ").Content(message.Content).Template("</s>"); break;
            }
        }
    }

    /// <summary>Mistral's v1, v3 and v3-tekken templates: v1 puts a space before [INST] and [/INST], tekken none after
    /// [INST] or before an answer, and v3 trims answers.</summary>
    private static void Mistral(ChatFamily family, IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        string leadingSpace = family == ChatFamily.MistralV1 ? " " : "";
        string trailingSpace = family == ChatFamily.MistralV3Tekken ? "" : " ";
        bool trimAnswers = family == ChatFamily.MistralV3;
        bool insideTurn = false;
        foreach (ChatTurn message in messages)
        {
            if (!insideTurn)
            {
                prompt.Template(leadingSpace + "[INST]" + trailingSpace);
                insideTurn = true;
            }
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Content(message.Content).Template("\n\n"); break;
                case ChatRoles.User: prompt.Content(message.Content).Template(leadingSpace + "[/INST]"); break;
                default:
                    prompt.Template(trailingSpace).Content(trimAnswers ? TrimCSpace(message.Content) : message.Content).Template("</s>");
                    insideTurn = false;
                    break;
            }
        }
    }

    /// <summary>Llama 2 and its variants: with &lt;&lt;SYS&gt;&gt; (or the system text on its own line without it),
    /// with BOS before each later [INST], with every content trimmed.</summary>
    private static void Llama2(ChatFamily family, IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        bool systemBlock = family != ChatFamily.Llama2;
        bool bosInsideHistory = family == ChatFamily.Llama2SysBos;
        bool strip = family == ChatFamily.Llama2SysStrip;
        // The first [INST] has no BOS before it: the tokenizer adds that one.
        bool insideTurn = true;
        prompt.Template("[INST] ");
        foreach (ChatTurn message in messages)
        {
            string content = strip ? TrimCSpace(message.Content) : message.Content;
            if (!insideTurn)
            {
                insideTurn = true;
                prompt.Template(bosInsideHistory ? "<s>[INST] " : "[INST] ");
            }
            switch (message.Role)
            {
                case ChatRoles.System when systemBlock: prompt.Template("<<SYS>>\n").Content(content).Template("\n<</SYS>>\n\n"); break;
                case ChatRoles.System: prompt.Content(content).Template("\n"); break;
                case ChatRoles.User: prompt.Content(content).Template(" [/INST]"); break;
                default:
                    prompt.Content(content).Template("</s>");
                    insideTurn = false;
                    break;
            }
        }
    }

    /// <summary>mlabonne/AlphaMonarch-7B: BOS inside the history, except before the first message.</summary>
    private static void Monarch(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        for (int i = 0; i < messages.Count; i++)
            prompt.Template((i == 0 ? "" : "<s>") + messages[i].Role + "\n").Content(messages[i].Content).Template("</s>\n");
        if (addGenerationPrompt)
            prompt.Template("<s>assistant\n");
    }

    /// <summary>google/gemma-7b-it: no system turn, so the (last, trimmed) system message opens the next user turn;
    /// the assistant is "model"; contents are trimmed.</summary>
    private static void Gemma(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        string systemPrompt = "";
        foreach (ChatTurn message in messages)
        {
            if (message.Role == ChatRoles.System)
            {
                systemPrompt = TrimCSpace(message.Content);
                continue;
            }
            string role = message.Role == ChatRoles.Assistant ? "model" : message.Role;
            prompt.Template("<start_of_turn>" + role + "\n");
            if (systemPrompt.Length > 0 && role != "model")
            {
                prompt.Content(systemPrompt).Template("\n\n");
                systemPrompt = "";
            }
            prompt.Content(TrimCSpace(message.Content)).Template("<end_of_turn>\n");
        }
        if (addGenerationPrompt)
            prompt.Template("<start_of_turn>model\n");
    }

    /// <summary>OrionStarAI/Orion-14B-Chat: the (last) system message opens the next user turn.</summary>
    private static void Orion(IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        string systemPrompt = "";
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System:
                    systemPrompt = message.Content;
                    break;
                case ChatRoles.User:
                    prompt.Template("Human: ");
                    if (systemPrompt.Length > 0)
                    {
                        prompt.Content(systemPrompt).Template("\n\n");
                        systemPrompt = "";
                    }
                    prompt.Content(message.Content).Template("\n\nAssistant: </s>");
                    break;
                default:
                    prompt.Content(message.Content).Template("</s>");
                    break;
            }
        }
    }

    /// <summary>openchat/openchat-3.5-0106: "GPT4 Correct User: " with the role's first letter upper-cased.</summary>
    private static void OpenChat(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            if (message.Role == ChatRoles.System)
            {
                prompt.Content(message.Content).Template("<|end_of_turn|>");
                continue;
            }
            string role = char.ToUpperInvariant(message.Role[0]) + message.Role[1..];
            prompt.Template("GPT4 Correct " + role + ": ").Content(message.Content).Template("<|end_of_turn|>");
        }
        if (addGenerationPrompt)
            prompt.Template("GPT4 Correct Assistant:");
    }

    /// <summary>eachadea/vicuna-13b-1.1, and the Orca-Vicuna variant with a "SYSTEM: " prefix.</summary>
    private static void Vicuna(ChatFamily family, IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System when family == ChatFamily.VicunaOrca: prompt.Template("SYSTEM: ").Content(message.Content).Template("\n"); break;
                case ChatRoles.System: prompt.Content(message.Content).Template("\n\n"); break;
                case ChatRoles.User: prompt.Template("USER: ").Content(message.Content).Template("\n"); break;
                default: prompt.Template("ASSISTANT: ").Content(message.Content).Template("</s>\n"); break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("ASSISTANT:");
    }

    /// <summary>deepseek-ai/deepseek-coder-33b-instruct.</summary>
    private static void DeepSeek(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Content(message.Content); break;
                case ChatRoles.User: prompt.Template("### Instruction:\n").Content(message.Content).Template("\n"); break;
                default: prompt.Template("### Response:\n").Content(message.Content).Template("\n<|EOT|>\n"); break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("### Response:\n");
    }

    /// <summary>CohereForAI/c4ai-command-r-plus: trimmed contents.</summary>
    private static void CommandR(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            string token = message.Role switch
            {
                ChatRoles.System => "<|SYSTEM_TOKEN|>",
                ChatRoles.User => "<|USER_TOKEN|>",
                _ => "<|CHATBOT_TOKEN|>",
            };
            prompt.Template("<|START_OF_TURN_TOKEN|>" + token).Content(TrimCSpace(message.Content)).Template("<|END_OF_TURN_TOKEN|>");
        }
        if (addGenerationPrompt)
            prompt.Template("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
    }

    /// <summary>Llama 3: trimmed contents between header and <c>&lt;|eot_id|&gt;</c>.</summary>
    private static void Llama3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
            prompt.Template("<|start_header_id|>" + message.Role + "<|end_header_id|>\n\n").Content(TrimCSpace(message.Content)).Template("<|eot_id|>");
        if (addGenerationPrompt)
            prompt.Template("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    /// <summary>MiniCPM-3B-OpenHermes-2.5-v2: trimmed contents, user turns between &lt;用户&gt; and &lt;AI&gt;.</summary>
    private static void MiniCpm(IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            if (message.Role == ChatRoles.User)
                prompt.Template("<用户>").Content(TrimCSpace(message.Content)).Template("<AI>");
            else
                prompt.Content(TrimCSpace(message.Content));
        }
    }

    /// <summary>DeepSeek-V2.</summary>
    private static void DeepSeek2(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Content(message.Content).Template("\n\n"); break;
                case ChatRoles.User: prompt.Template("User: ").Content(message.Content).Template("\n\n"); break;
                default: prompt.Template("Assistant: ").Content(message.Content).Template("<｜end▁of▁sentence｜>"); break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("Assistant:");
    }

    /// <summary>DeepSeek-V3.</summary>
    private static void DeepSeek3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Content(message.Content).Template("\n\n"); break;
                case ChatRoles.User: prompt.Template("<｜User｜>").Content(message.Content); break;
                default: prompt.Template("<｜Assistant｜>").Content(message.Content).Template("<｜end▁of▁sentence｜>"); break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("<｜Assistant｜>");
    }

    /// <summary>LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct: trimmed contents.</summary>
    private static void Exaone3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            switch (message.Role)
            {
                case ChatRoles.System: prompt.Template("[|system|]").Content(TrimCSpace(message.Content)).Template("[|endofturn|]\n"); break;
                case ChatRoles.User: prompt.Template("[|user|]").Content(TrimCSpace(message.Content)).Template("\n"); break;
                default: prompt.Template("[|assistant|]").Content(TrimCSpace(message.Content)).Template("[|endofturn|]\n"); break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("[|assistant|]");
    }

    /// <summary>RWKV World: each user turn ends with the answer's "Assistant:" (the model's end of turn is "\n\n").</summary>
    private static void RwkvWorld(IReadOnlyList<ChatTurn> messages, ChatPromptBuilder prompt)
    {
        foreach (ChatTurn message in messages)
        {
            if (message.Role == ChatRoles.User)
                prompt.Template("User: ").Content(message.Content).Template("\n\nAssistant:");
            else
                prompt.Content(message.Content).Template("\n\n");
        }
    }

    /// <summary>ai-sage/GigaChat-20B-A3B-instruct: only a first system message is used; every user turn announces an
    /// empty function list.</summary>
    private static void GigaChat(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, ChatPromptBuilder prompt)
    {
        bool hasSystem = messages[0].Role == ChatRoles.System;
        if (hasSystem)
            prompt.Template("<s>").Content(messages[0].Content).Template("<|message_sep|>");
        else
            prompt.Template("<s>");
        for (int i = hasSystem ? 1 : 0; i < messages.Count; i++)
        {
            switch (messages[i].Role)
            {
                case ChatRoles.User:
                    prompt.Template("user<|role_sep|>").Content(messages[i].Content)
                        .Template("<|message_sep|>available functions<|role_sep|>[]<|message_sep|>");
                    break;
                case ChatRoles.Assistant:
                    prompt.Template("assistant<|role_sep|>").Content(messages[i].Content).Template("<|message_sep|>");
                    break;
            }
        }
        if (addGenerationPrompt)
            prompt.Template("assistant<|role_sep|>");
    }
}
