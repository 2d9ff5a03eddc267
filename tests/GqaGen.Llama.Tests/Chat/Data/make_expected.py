#!/usr/bin/env python3
"""Writes chat-templates.json: what llama.cpp's legacy chat formatter (llama_chat_apply_template, the path
llama-server takes without --jinja) makes of each template text and each built-in template name, for the
conversations below. The C# tests compare GqaGen.Llama.Chat against this file; they never run llama.cpp.

Run once, by hand, with the llama.cpp peer binaries (see README.md beside this file):

    PYTHONPATH=/work/shared/peers/llama.cpp-c392e5094/gguf-py /usr/bin/python3 make_expected.py \
        --llama-cpp /work/shared/peers/llama.cpp-c392e5094

It writes a tiny random-weight GGUF (the server needs a model to start; the formatter never looks at it), then for
every template text starts `llama-server --chat-template-file T` and for every built-in name
`llama-server --chat-template NAME`, posts each conversation to /apply-template and records the prompt. A template
the server refuses at start-up ("the supplied chat template is not supported") is recorded as unknown. The family
llama.cpp detected for a template text is the built-in name whose prompts are identical on every conversation.
"""

import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import types
import urllib.request

LLAMA_CPP_COMMIT = "c392e5094deaf2d1a7c18683214f007fad3fe42b"

# Conversations: (a) one user turn, (b) system + user, (c) several turns; then the llama.cpp test suite's own
# conversation and edge cases for trimming (C isspace: space, \t, \n, \v, \f, \r only), merged system prompts,
# an assistant turn first, empty contents and text that spells control tokens.
CONVERSATIONS = [
    ("user", [("user", "Hello")]),
    ("system_user", [("system", "You are a helpful assistant."), ("user", "Hello")]),
    ("multi_turn", [
        ("system", "You are a helpful assistant."),
        ("user", "Hello"),
        ("assistant", "Hi there! How can I help?"),
        ("user", "Who are you?"),
    ]),
    ("llama_cpp_test", [
        ("system", "You are a helpful assistant"),
        ("user", "Hello"),
        ("assistant", "Hi there"),
        ("user", "Who are you"),
        ("assistant", "   I am an assistant   "),
        ("user", "Another question"),
    ]),
    ("whitespace_unicode", [
        ("system", " Rule one. "),
        ("system", "Rule two.\n"),
        ("user", "\t Gr\u00fc\u00dfe, \u4e16\u754c \U0001F600 \r\n"),
        ("assistant", "\u00a0kept\u00a0 "),
        ("user", "\u000bend\u000c"),
    ]),
    ("assistant_first", [("assistant", "Welcome!"), ("user", "Thanks")]),
    ("empty_content", [("system", ""), ("user", ""), ("assistant", ""), ("user", "x")]),
    ("special_text", [("user", "Say <|im_start|>, [INST], <s> and </s> literally.")]),
]

# Template texts. "llama.cpp tests" ones are copied from llama.cpp's tests/test-chat-template.cpp (the models'
# own templates); the others are the model's published template, abridged where noted, or written for this file
# to reach a family no real template reaches at this commit.
TEMPLATES = [
    ("openhermes-2.5-mistral", "teknium/OpenHermes-2.5-Mistral-7B (llama.cpp tests)",
     "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"),
    ("qwen2.5-instruct", "Qwen/Qwen2.5-Instruct, abridged (tool-call branches removed)",
     "{%- if messages[0]['role'] == 'system' %}\n    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n{%- else %}\n    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n{%- endif %}\n{%- for message in messages %}\n    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\") %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"),
    ("smollm2-instruct", "HuggingFaceTB/SmolLM2-Instruct",
     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"),
    ("mistral-7b-instruct-v0.2", "mistralai/Mistral-7B-Instruct-v0.2, old pre-v1 template without a system prompt (llama.cpp tests)",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"),
    ("llama2-sys-plain", "written for this file: Llama 2 format with <<SYS>>, no strip() and no BOS inside the history",
     "{% for message in messages %}{% if message['role'] == 'system' %}{{ '[INST] <<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'user' %}{{ message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"),
    ("fusionnet-34bx2-moe", "TheBloke/FusionNet_34Bx2_MoE-AWQ (llama.cpp tests)",
     "{%- for idx in range(0, messages|length) -%}\n{%- if messages[idx]['role'] == 'user' -%}\n{%- if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{%- else -%}\n{{- messages[idx]['content'] + ' [/INST]' -}}\n{%- endif -%}\n{% elif messages[idx]['role'] == 'system' %}\n{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}\n{%- elif messages[idx]['role'] == 'assistant' -%}\n{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}\n{% endif %}\n{% endfor %}"),
    ("vigogne-2-70b-chat", "bofenghuang/vigogne-2-70b-chat (llama.cpp tests)",
     "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif true == true and not '<<SYS>>' in messages[0]['content'] %}{% set loop_messages = messages %}{% set system_message = 'Vous \u00eates Vigogne, un assistant IA cr\u00e9\u00e9 par Zaion Lab. Vous suivez extr\u00eamement bien les instructions. Aidez autant que vous le pouvez.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"),
    ("llama-2-7b-chat", "meta-llama/Llama-2-7b-chat-hf",
     "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"),
    ("mistral-7b-instruct-v0.2-v1", "mistralai/Mistral-7B-Instruct-v0.2, mistralai 'v1' template with a system prompt (llama.cpp tests)",
     "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n"),
    ("mistral-large-instruct-2407", "mistralai/Mistral-Large-Instruct-2407, 'v3' template modified to have the system prompt at the start (llama.cpp tests)",
     "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = messages[0][\"content\"] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n{%- set user_messages = loop_messages | selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}\n{%- set ns = namespace() %}\n{%- set ns.index = 0 %}\n{%- for message in loop_messages %}\n    {%- if not (message.role == \"tool\" or message.role == \"tool_results\" or (message.tool_calls is defined and message.tool_calls is not none)) %}\n        {%- if (message[\"role\"] == \"user\") != (ns.index % 2 == 0) %}\n            {{- raise_exception(\"After the optional system message, conversation roles must alternate user/assistant/user/assistant/...\") }}\n        {%- endif %}\n        {%- set ns.index = ns.index + 1 %}\n    {%- endif %}\n{%- endfor %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == user_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS] [\" }}\n            {%- for tool in tools %}\n                {%- set tool = tool.function %}\n                {{- '{\"type\": \"function\", \"function\": {' }}\n                {%- for key, val in tool.items() if key != \"return\" %}\n                    {%- if val is string %}\n                        {{- '\"' + key + '\": \"' + val + '\"' }}\n                    {%- else %}\n                        {{- '\"' + key + '\": ' + val|tojson }}\n                    {%- endif %}\n                    {%- if not loop.last %}\n                        {{- \", \" }}\n                    {%- endif %}\n                {%- endfor %}\n                {{- \"}}\" }}\n                {%- if not loop.last %}\n                    {{- \", \" }}\n                {%- else %}\n                    {{- \"]\" }}\n                {%- endif %}\n            {%- endfor %}\n            {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message.tool_calls is defined and message.tool_calls is not none %}\n        {{- \"[TOOL_CALLS] [\" }}\n        {%- for tool_call in message.tool_calls %}\n            {%- set out = tool_call.function|tojson %}\n            {{- out[:-1] }}\n            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}\n                {{- raise_exception(\"Tool call IDs should be alphanumeric strings with length 9!\") }}\n            {%- endif %}\n            {{- ', \"id\": \"' + tool_call.id + '\"}' }}\n            {%- if not loop.last %}\n                {{- \", \" }}\n            {%- else %}\n                {{- \"]\" + eos_token }}\n            {%- endif %}\n        {%- endfor %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n    {%- elif message[\"role\"] == \"tool_results\" or message[\"role\"] == \"tool\" %}\n        {%- if message.content is defined and message.content.content is defined %}\n            {%- set content = message.content.content %}\n        {%- else %}\n            {%- set content = message.content %}\n        {%- endif %}\n        {{- '[TOOL_RESULTS] {\"content\": ' + content|string + \", \" }}\n        {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}\n            {{- raise_exception(\"Tool call IDs should be alphanumeric strings with length 9!\") }}\n        {%- endif %}\n        {{- '\"call_id\": \"' + message.tool_call_id + '\"}[/TOOL_RESULTS]' }}\n    {%- else %}\n        {{- raise_exception(\"Only user and assistant roles are supported, with the exception of an initial optional system message!\") }}\n    {%- endif %}\n{%- endfor %}\n"),
    ("mistral-nemo-instruct-2407", "mistralai/Mistral-Nemo-Instruct-2407, 'v3-tekken' template modified to have the system prompt at the start (llama.cpp tests)",
     "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = messages[0][\"content\"] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n{%- set user_messages = loop_messages | selectattr(\"role\", \"equalto\", \"user\") | list %}\n\n{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}\n{%- set ns = namespace() %}\n{%- set ns.index = 0 %}\n{%- for message in loop_messages %}\n    {%- if not (message.role == \"tool\" or message.role == \"tool_results\" or (message.tool_calls is defined and message.tool_calls is not none)) %}\n        {%- if (message[\"role\"] == \"user\") != (ns.index % 2 == 0) %}\n            {{- raise_exception(\"After the optional system message, conversation roles must alternate user/assistant/user/assistant/...\") }}\n        {%- endif %}\n        {%- set ns.index = ns.index + 1 %}\n    {%- endif %}\n{%- endfor %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if tools is not none and (message == user_messages[-1]) %}\n            {{- \"[AVAILABLE_TOOLS][\" }}\n            {%- for tool in tools %}\n                {%- set tool = tool.function %}\n                {{- '{\"type\": \"function\", \"function\": {' }}\n                {%- for key, val in tool.items() if key != \"return\" %}\n                    {%- if val is string %}\n                        {{- '\"' + key + '\": \"' + val + '\"' }}\n                    {%- else %}\n                        {{- '\"' + key + '\": ' + val|tojson }}\n                    {%- endif %}\n                    {%- if not loop.last %}\n                        {{- \", \" }}\n                    {%- endif %}\n                {%- endfor %}\n                {{- \"}}\" }}\n                {%- if not loop.last %}\n                    {{- \", \" }}\n                {%- else %}\n                    {{- \"]\" }}\n                {%- endif %}\n            {%- endfor %}\n            {{- \"[/AVAILABLE_TOOLS]\" }}\n            {%- endif %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST]\" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif (message.tool_calls is defined and message.tool_calls is not none) %}\n        {{- \"[TOOL_CALLS][\" }}\n        {%- for tool_call in message.tool_calls %}\n            {%- set out = tool_call.function|tojson %}\n            {{- out[:-1] }}\n            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}\n                {{- raise_exception(\"Tool call IDs should be alphanumeric strings with length 9!\") }}\n            {%- endif %}\n            {{- ', \"id\": \"' + tool_call.id + '\"}' }}\n            {%- if not loop.last %}\n                {{- \", \" }}\n            {%- else %}\n                {{- \"]\" + eos_token }}\n            {%- endif %}\n        {%- endfor %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- message[\"content\"] + eos_token}}\n    {%- elif message[\"role\"] == \"tool_results\" or message[\"role\"] == \"tool\" %}\n        {%- if message.content is defined and message.content.content is defined %}\n            {%- set content = message.content.content %}\n        {%- else %}\n            {%- set content = message.content %}\n        {%- endif %}\n        {{- '[TOOL_RESULTS]{\"content\": ' + content|string + \", \" }}\n        {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}\n            {{- raise_exception(\"Tool call IDs should be alphanumeric strings with length 9!\") }}\n        {%- endif %}\n        {{- '\"call_id\": \"' + message.tool_call_id + '\"}[/TOOL_RESULTS]' }}\n    {%- else %}\n        {{- raise_exception(\"Only user and assistant roles are supported, with the exception of an initial optional system message!\") }}\n    {%- endif %}\n{%- endfor %}\n"),
    ("mistral-large-instruct-2411", "mistralai/Mistral-Large-Instruct-2411, 'v7' template (llama.cpp tests)",
     "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}{% endif %}{% endfor %}"),
    ("mistral-prefix", "written for this file: a text that starts with \"mistral\" and names no built-in template",
     "mistral-instruct"),
    ("alphamonarch-7b", "mlabonne/AlphaMonarch-7B (llama.cpp tests)",
     "{% for message in messages %}{{bos_token + message['role'] + '\\n' + message['content'] + eos_token + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ bos_token + 'assistant\\n' }}{% endif %}"),
    ("gemma-7b-it", "google/gemma-7b-it (llama.cpp tests)",
     "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"),
    ("orion-14b-chat", "OrionStarAI/Orion-14B-Chat (llama.cpp tests)",
     "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nAssistant: ' + eos_token }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"),
    ("openchat-3.5-0106", "openchat/openchat-3.5-0106 (llama.cpp tests)",
     "{{ bos_token }}{% for message in messages %}{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}"),
    ("deepseek-coder-33b-instruct", "deepseek-ai/deepseek-coder-33b-instruct (llama.cpp tests)",
     "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}"),
    ("vicuna-13b-1.1", "eachadea/vicuna-13b-1.1 (llama.cpp tests)",
     "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{- '' + message['content'] + '\n\n' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}"),
    ("orca-vicuna", "Orca-Vicuna (llama.cpp tests)",
     "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{-'SYSTEM: ' + message['content'] + '\n' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}"),
    ("c4ai-command-r-plus", "CohereForAI/c4ai-command-r-plus (llama.cpp tests)",
     "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif false == true %}{% set loop_messages = messages %}{% set system_message = 'You are Command-R, a brilliant, sophisticated, AI-assistant trained to assist human users by providing thorough responses. You are trained by Cohere.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"),
    ("llama-3", "Llama-3 (llama.cpp tests)",
     "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"),
    ("phi-3-mini", "Phi-3-mini (llama.cpp tests)",
     "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}"),
    ("phi-3-small", "Phi-3-small (llama.cpp tests)",
     "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"),
    ("phi-3-medium", "Phi-3-medium (llama.cpp tests)",
     "{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}"),
    ("phi-3-vision", "Phi-3-vision (llama.cpp tests)",
     "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{- '<|assistant|>\n' -}}{% endif %}"),
    ("phi-4", "microsoft/phi-4 (llama.cpp tests)",
     "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|><|im_start|>assistant<|im_sep|>'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}"),
    ("falcon3-style", "written for this file in Falcon 3's format (<|role|> lines, </s> after assistant turns)",
     "{%- for message in messages %}{%- if message['role'] == 'assistant' %}{{- '<|assistant|>\\n' + message['content'] + '</s>\\n' }}{%- elif message['role'] == 'user' %}{{- '<|user|>\\n' + message['content'] + '\\n' }}{%- else %}{{- '<|system|>\\n' + message['content'] + '\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}"),
    ("tinyllama-1.1b-chat-v1.0", "TinyLlama/TinyLlama-1.1B-Chat-v1.0 (the same text as HuggingFaceH4/zephyr-7b-beta)",
     "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"),
    ("zephyr-style", "written for this file: Zephyr's format with <|endoftext|>, the assistant tag built at run time (a literal <|assistant|> next to <|user|> is detected as falcon3 or glmedge at this commit)",
     "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '<|endoftext|>\\n' }}{% else %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|endoftext|>\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|' + 'assistant' + '|>\\n' }}{% endif %}"),
    ("chatglm3", "ChatGLM3 (llama.cpp tests)",
     "{% for message in messages %}{% if loop.first %}[gMASK]sop<|{{ message['role'] }}|>\n {{ message['content'] }}{% else %}<|{{ message['role'] }}|>\n {{ message['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"),
    ("chatglm4", "ChatGLM4 (llama.cpp tests)",
     "[gMASK]<sop>{% for item in messages %}{% if item['tools'] is defined %}<|system|>\n\u4f60\u662f\u4e00\u4e2a\u540d\u4e3a ChatGLM \u7684\u4eba\u5de5\u667a\u80fd\u52a9\u624b\u3002\u4f60\u662f\u57fa\u4e8e\u667a\u8c31AI\u8bad\u7ec3\u7684\u8bed\u8a00\u6a21\u578b GLM-4 \u6a21\u578b\u5f00\u53d1\u7684\uff0c\u4f60\u7684\u4efb\u52a1\u662f\u9488\u5bf9\u7528\u6237\u7684\u95ee\u9898\u548c\u8981\u6c42\u63d0\u4f9b\u9002\u5f53\u7684\u7b54\u590d\u548c\u652f\u6301\u3002\n\n# \u53ef\u7528\u5de5\u5177{% set tools = item['tools'] %}{% for tool in tools %}{% if tool['type'] == 'function' %}\n\n## {{ tool['function']['name'] }}\n\n{{ tool['function'] | tojson(indent=4) }}\n......{% endif %}{% endfor %}{% endif %}{% if item['content'] %}<|{{ item['role'] }}|>{{ item['metadata'] }}\n{{ item['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"),
    ("glm-edge", "GLMEdge (llama.cpp tests)",
     "{% for item in messages %}{% if item['role'] == 'system' %}<|system|>\n{{ item['content'] }}{% elif item['role'] == 'user' %}<|user|>\n{{ item['content'] }}{% elif item['role'] == 'assistant' %}<|assistant|>\n{{ item['content'] }}{% endif %}{% endfor %}<|assistant|>"),
    ("minicpm-3b-openhermes", "MiniCPM-3B-OpenHermes-2.5-v2-GGUF (llama.cpp tests)",
     "{% for message in messages %}{% if message['role'] == 'user' %}{{'<\u7528\u6237>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}{% endif %}{% endfor %}"),
    ("deepseek-v2", "DeepSeek-V2 (llama.cpp tests)",
     "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n\n' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ message['content'] + '\n\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"),
    ("deepseek-v3", "deepseek-ai/DeepSeek-V3, abridged (tool-call branches removed)",
     "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{{'<\uff5cUser\uff5c>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{{'<\uff5cAssistant\uff5c>' + message['content'] + '<\uff5cend\u2581of\u2581sentence\uff5c>'}}{%- endif %}{%- endfor %}{% if add_generation_prompt %}{{'<\uff5cAssistant\uff5c>'}}{% endif %}"),
    ("granite-3.0-8b-instruct", "ibm-granite/granite-3.0-8b-instruct (llama.cpp tests)",
     "{%- if tools %}\n    {{- '<|start_of_role|>available_tools<|end_of_role|>\n' }}\n    {%- for tool in tools %}\n    {{- tool | tojson(indent=4) }}\n    {%- if not loop.last %}\n        {{- '\n\n' }}\n    {%- endif %}\n    {%- endfor %}\n    {{- '<|end_of_text|>\n' }}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n    {{- '<|start_of_role|>system<|end_of_role|>' + message['content'] + '<|end_of_text|>\n' }}\n    {%- elif message['role'] == 'user' %}\n    {{- '<|start_of_role|>user<|end_of_role|>' + message['content'] + '<|end_of_text|>\n' }}\n    {%- elif message['role'] == 'assistant' %}\n    {{- '<|start_of_role|>assistant<|end_of_role|>'  + message['content'] + '<|end_of_text|>\n' }}\n    {%- elif message['role'] == 'assistant_tool_call' %}\n    {{- '<|start_of_role|>assistant<|end_of_role|><|tool_call|>' + message['content'] + '<|end_of_text|>\n' }}\n    {%- elif message['role'] == 'tool_response' %}\n    {{- '<|start_of_role|>tool_response<|end_of_role|>' + message['content'] + '<|end_of_text|>\n' }}\n    {%- endif %}\n    {%- if loop.last and add_generation_prompt %}\n    {{- '<|start_of_role|>assistant<|end_of_role|>' }}\n    {%- endif %}\n{%- endfor %}"),
    ("exaone-3.0-7.8b-instruct", "LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct",
     "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '[|system|][|endofturn|]\\n' }}{% endif %}{{ '[|' + message['role'] + '|]' + message['content'] }}{% if message['role'] == 'user' %}{{ '\\n' }}{% else %}{{ '[|endofturn|]\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}"),
    ("rwkv-6-world", "RWKV-6 World: llama.cpp's converter writes this text as the GGUF template",
     "rwkv-world"),
    ("gigachat-20b-a3b-instruct", "ai-sage/GigaChat-20B-A3B-instruct (llama.cpp tests)",
     "{% if messages[0]['role'] == 'system' -%}\n    {%- set loop_messages = messages[1:] -%}\n    {%- set system_message = bos_token + messages[0]['content'] + additional_special_tokens[1] -%}\n{%- else -%}\n    {%- set loop_messages = messages -%}\n    {%- set system_message = bos_token + '' -%}\n{%- endif -%}\n{%- for message in loop_messages %}\n    {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}\n    {% endif %}\n    \n    {%- if loop.index0 == 0 -%}\n        {{ system_message -}}\n    {%- endif -%}\n    {%- if message['role'] == 'user' -%}\n        {{ message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1] -}}\n        {{ 'available functions' + additional_special_tokens[0] + additional_special_tokens[2] + additional_special_tokens[3]  + additional_special_tokens[1] -}}\n    {%- endif -%}\n    {%- if message['role'] == 'assistant' -%}\n        {{ message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1] -}}\n    {%- endif -%}\n    {%- if loop.last and add_generation_prompt -%}\n        {{ 'assistant' + additional_special_tokens[0] -}}\n    {%- endif -%}\n{%- endfor %}"),
    ("megrez-3b-instruct", "Infinigence/Megrez-3B-Instruct (llama.cpp tests)",
     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|role_start|>system<|role_end|>\u4f60\u662fMegrez-3B-Instruct\uff0c\u5c06\u9488\u5bf9\u7528\u6237\u7684\u95ee\u9898\u7ed9\u51fa\u8be6\u7ec6\u7684\u3001\u79ef\u6781\u7684\u56de\u7b54\u3002<|turn_end|>' }}{% endif %}{{ '<|role_start|>' + message['role'] + '<|role_end|>' + message['content'] + '<|turn_end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|role_start|>assistant<|role_end|>' }}{% endif %}"),
    # Templates llama.cpp's legacy formatter does not know at this commit.
    ("ling-lite", "inclusionAI/Ling-lite (llama.cpp tests; a family added to llama.cpp after this commit)",
     "{% for message in messages %}{% set role = message['role'] | lower %}{% if role == 'user' %}{% set role = 'HUMAN' %}{% endif %}{% set role = role | upper %}{{ '<role>' + role + '</role>' + message['content'] }}{% endfor %}{% if add_generation_prompt %}{{ '<role>ASSISTANT</role>' }}{% endif %}"),
    ("seed-oss-36b-instruct", "ByteDance-Seed/Seed-OSS-36B-Instruct (llama.cpp tests)",
     "{# <seed:bos> #}{%- for message in messages %}{%- if message.role in [\"user\", \"system\"] %}{{ bos_token + message.role + \"\\n\" + message.content + eos_token }}{%- elif message.role == \"assistant\" %}{{ bos_token + message.role }}{%- if message.content is defined and message.content is string and message.content|trim|length > 0 %}{{ \"\\n\" + message.content|trim + eos_token }}{%- endif %}{%- else %}{{ bos_token + message.role + \"\\n\" + message.content + eos_token }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{ bos_token + \"assistant\\n\" }}{%- endif %}"),
    ("alpaca-style", "written for this file: an Alpaca-style template with no marker llama.cpp looks for",
     "{% for message in messages %}{{ '### ' + message['role'] + ':\\n' + message['content'] + '\\n\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '### assistant:\\n' }}{% endif %}"),
    ("invalid-template", "the text llama.cpp's tests use as an invalid template", "INVALID TEMPLATE"),
    # Short texts that pin the order of llama.cpp's checks where two families' markers meet.
    ("probe-chatml-before-inst", "written for this file: <|im_start|> wins over [INST]", "<|im_start|> [INST]"),
    ("probe-inst-before-phi3", "written for this file: [INST] wins over <|assistant|> and <|end|>", "[INST] <|assistant|> <|end|>"),
    ("probe-phi3-before-falcon3", "written for this file: <|assistant|> + <|end|> wins over <|user|> + </s>", "<|assistant|> <|end|> <|user|> </s>"),
    ("probe-glmedge-before-chatglm4", "written for this file: <|assistant|> + <|user|> wins over [gMASK]<sop>", "[gMASK]<sop> <|assistant|> <|user|>"),
    ("probe-zephyr-before-gemma", "written for this file: <|user|> + <|endoftext|> wins over <start_of_turn>", "<|user|> <|endoftext|> <start_of_turn>"),
    ("probe-llama3-before-chatglm3", "written for this file: <|start_header_id|> + <|end_header_id|> wins over [gMASK]sop", "[gMASK]sop <|start_header_id|> <|end_header_id|>"),
    ("probe-mistral-v7-system-prompt", "written for this file: [SYSTEM_PROMPT] inside the [INST] branch", "[INST] [SYSTEM_PROMPT]"),
    ("probe-mistral-v3-tools", "written for this file: [AVAILABLE_TOOLS] without a leading-space [INST]", "[INST] [AVAILABLE_TOOLS]"),
    ("probe-deepseek3-markers", "written for this file: the three DeepSeek-V3 markers without a template around them",
     "<\uff5cUser\uff5c> <\uff5cAssistant\uff5c> <\uff5cend\u2581of\u2581sentence\uff5c>"),
    ("probe-name-with-space", "written for this file: a built-in name with a trailing space is not that name", "llama3 "),
]


def write_tiny_model(path):
    """A 1-layer llama model with a 262-token SentencePiece vocabulary: just enough for llama-server to start."""
    # gguf-py imports sentencepiece for its vocabulary helpers, which this script does not use.
    sys.modules.setdefault("sentencepiece", types.SimpleNamespace(SentencePieceProcessor=None))
    import numpy as np
    import gguf

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("chat-template-probe")
    writer.add_context_length(64)
    writer.add_embedding_length(32)
    writer.add_block_count(1)
    writer.add_feed_forward_length(64)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_rope_dimension_count(16)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + ["\u2581", "a", "b"]
    token_types = [2, 3, 3] + [6] * 256 + [1, 1, 1]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(token_types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    rng = np.random.default_rng(0)
    vocab, embd, ffn = len(tokens), 32, 64

    def matrix(name, rows, cols):
        writer.add_tensor(name, (rng.standard_normal((rows, cols)) * 0.02).astype(np.float32))

    matrix("token_embd.weight", vocab, embd)
    writer.add_tensor("output_norm.weight", np.ones(embd, np.float32))
    matrix("output.weight", vocab, embd)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(embd, np.float32))
    writer.add_tensor("blk.0.ffn_norm.weight", np.ones(embd, np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        matrix(f"blk.0.{name}.weight", embd, embd)
    matrix("blk.0.ffn_gate.weight", ffn, embd)
    matrix("blk.0.ffn_up.weight", ffn, embd)
    matrix("blk.0.ffn_down.weight", embd, ffn)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def builtin_names(server):
    """The names llama-server's --help lists as built-in templates (llama_chat_builtin_templates)."""
    text = subprocess.run([server, "--help"], capture_output=True, text=True).stdout
    match = re.search(r"list of built-in templates:\s*(.*?)\(env:", text, re.S)
    return [name.strip() for name in match.group(1).replace("\n", " ").split(",") if name.strip()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def apply_all(server, model, template_args, workdir):
    """Starts llama-server with template_args (no --jinja) and posts every conversation to /apply-template.
    Returns ({conversation: prompt}, None), or (None, error line) when the server refuses the template."""
    port = free_port()
    log_path = os.path.join(workdir, "server.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [server, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-c", "64", "-t", "1", *template_args],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            if process.poll() is not None:
                lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
                # "terminate called ... what():  error: the supplied chat template is not supported: <text>"
                refusal = next((l for l in lines if "not supported" in l), None)
                if refusal is None:
                    raise RuntimeError(f"llama-server exited for another reason: {lines[-1:] or 'no output'}")
                return None, refusal[refusal.index("error:"):refusal.index("not supported") + len("not supported")]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"llama-server did not start: {template_args}")
            time.sleep(0.1)
        log_text = open(log_path, encoding="utf-8", errors="replace").read()
        if "failed to parse chat template" in log_text:
            raise RuntimeError(f"llama-server could not parse {template_args} and fell back to chatml")
        prompts = {}
        for name, messages in CONVERSATIONS:
            body = json.dumps({"messages": [{"role": r, "content": c} for r, c in messages]}).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/apply-template", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                prompts[name] = json.loads(response.read().decode("utf-8"))["prompt"]
        return prompts, None
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp", required=True, help="folder holding llama.cpp's bin/llama-server")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat-templates.json"))
    args = parser.parse_args()
    server = os.path.join(args.llama_cpp, "bin", "llama-server")

    with tempfile.TemporaryDirectory() as workdir:
        model = os.path.join(workdir, "probe.gguf")
        write_tiny_model(model)

        names = builtin_names(server)
        by_name = []
        for name in names:
            prompts, error = apply_all(server, model, ["--chat-template", name], workdir)
            if error:
                raise RuntimeError(f"built-in name {name} refused: {error}")
            by_name.append({"name": name, "expected": prompts})
            print(f"name {name}: ok", file=sys.stderr)
        # Every name must give its own prompts, or the family of a template text could not be read off them.
        for i, a in enumerate(by_name):
            for b in by_name[i + 1:]:
                if a["expected"] == b["expected"]:
                    raise RuntimeError(f"{a['name']} and {b['name']} format every conversation alike; add a conversation that tells them apart")

        templates = []
        for template_id, source, text in TEMPLATES:
            path = os.path.join(workdir, template_id + ".jinja")
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            prompts, error = apply_all(server, model, ["--chat-template-file", path], workdir)
            family = None
            if prompts is not None:
                matches = [entry["name"] for entry in by_name if entry["expected"] == prompts]
                if len(matches) != 1:
                    raise RuntimeError(f"{template_id}: prompts match {matches or 'no built-in name'}")
                family = matches[0]
            entry = {"id": template_id, "source": source, "template": text, "family": family}
            if prompts is not None:
                entry["expected"] = prompts
            else:
                entry["error"] = error
            templates.append(entry)
            print(f"template {template_id}: {family or 'unknown'}", file=sys.stderr)

    document = {
        "description": "Prompts llama.cpp's legacy chat formatter (llama_chat_apply_template, via llama-server's "
                       "/apply-template without --jinja, which always adds the generation prompt) makes of each "
                       "template text and built-in name. Made by make_expected.py; see README.md.",
        "llamaCppCommit": LLAMA_CPP_COMMIT,
        "generated": datetime.date.today().isoformat(),
        "addGenerationPrompt": True,
        "conversations": [
            {"name": name, "messages": [{"role": r, "content": c} for r, c in messages]}
            for name, messages in CONVERSATIONS
        ],
        "builtinNames": names,
        "names": by_name,
        "templates": templates,
    }
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
