namespace GqaGen.Cli.Tests;

/// <summary>
/// Published config.json files (the keys GqaGen reads, values as published; long lists such as rope_scaling trimmed).
/// Values checked against public copies found with the project's search tool where noted.
/// </summary>
internal static class PublishedConfigs
{
    // https://huggingface.co/deepseek-ai/DeepSeek-V2-Lite/blob/main/config.json (27 layers, hidden 2048, 16 heads,
    // q_lora_rank null, kv_lora_rank 512, qk_nope 128, qk_rope 64, v 128, 64 routed + 2 shared experts of 1408, first
    // layer dense with 10944: matches Megatron-Bridge's deepseek_v2_lite.yaml found with the search tool).
    public const string DeepSeekV2Lite = """
        {"architectures":["DeepseekV2ForCausalLM"],"aux_loss_alpha":0.001,"bos_token_id":100000,"eos_token_id":100001,
         "first_k_dense_replace":1,"hidden_act":"silu","hidden_size":2048,"initializer_range":0.02,"intermediate_size":10944,
         "kv_lora_rank":512,"max_position_embeddings":163840,"model_type":"deepseek_v2","moe_intermediate_size":1408,
         "moe_layer_freq":1,"n_group":1,"n_routed_experts":64,"n_shared_experts":2,"norm_topk_prob":false,
         "num_attention_heads":16,"num_experts_per_tok":6,"num_hidden_layers":27,"num_key_value_heads":16,
         "q_lora_rank":null,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"rms_norm_eps":1e-06,"rope_theta":10000,
         "routed_scaling_factor":1.0,"scoring_func":"softmax","tie_word_embeddings":false,"topk_group":1,
         "topk_method":"greedy","torch_dtype":"bfloat16","use_cache":true,"v_head_dim":128,"vocab_size":102400}
        """;

    // https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json (quantization_config omitted).
    public const string DeepSeekV3 = """
        {"architectures":["DeepseekV3ForCausalLM"],"bos_token_id":0,"eos_token_id":1,"first_k_dense_replace":3,
         "hidden_act":"silu","hidden_size":7168,"initializer_range":0.02,"intermediate_size":18432,"kv_lora_rank":512,
         "max_position_embeddings":163840,"model_type":"deepseek_v3","moe_intermediate_size":2048,"moe_layer_freq":1,
         "n_group":8,"n_routed_experts":256,"n_shared_experts":1,"norm_topk_prob":true,"num_attention_heads":128,
         "num_experts_per_tok":8,"num_hidden_layers":61,"num_key_value_heads":128,"num_nextn_predict_layers":1,
         "q_lora_rank":1536,"qk_nope_head_dim":128,"qk_rope_head_dim":64,"rms_norm_eps":1e-06,"rope_theta":10000,
         "routed_scaling_factor":2.5,"scoring_func":"sigmoid","tie_word_embeddings":false,"topk_group":4,
         "topk_method":"noaux_tc","torch_dtype":"bfloat16","use_cache":true,"v_head_dim":128,"vocab_size":129280}
        """;

    // https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json
    public const string Mixtral8x7B = """
        {"architectures":["MixtralForCausalLM"],"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu",
         "hidden_size":4096,"initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":32768,
         "model_type":"mixtral","num_attention_heads":32,"num_experts_per_tok":2,"num_hidden_layers":32,
         "num_key_value_heads":8,"num_local_experts":8,"output_router_logits":false,"rms_norm_eps":1e-05,
         "rope_theta":1000000.0,"router_aux_loss_coef":0.02,"sliding_window":null,"tie_word_embeddings":false,
         "torch_dtype":"bfloat16","transformers_version":"4.36.0.dev0","use_cache":true,"vocab_size":32000}
        """;

    // https://huggingface.co/google/gemma-2-9b/blob/main/config.json (torch_dtype float32 as published).
    public const string Gemma2_9B = """
        {"architectures":["Gemma2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
         "attn_logit_softcapping":50.0,"bos_token_id":2,"cache_implementation":"hybrid","eos_token_id":1,
         "final_logit_softcapping":30.0,"head_dim":256,"hidden_act":"gelu_pytorch_tanh",
         "hidden_activation":"gelu_pytorch_tanh","hidden_size":3584,"initializer_range":0.02,"intermediate_size":14336,
         "max_position_embeddings":8192,"model_type":"gemma2","num_attention_heads":16,"num_hidden_layers":42,
         "num_key_value_heads":8,"pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"rope_theta":10000.0,
         "sliding_window":4096,"sliding_window_size":4096,"torch_dtype":"float32","transformers_version":"4.42.0.dev0",
         "use_cache":true,"vocab_size":256000}
        """;

    // Qwen/Qwen1.5-MoE-A2.7B-Chat config.json as published with its GPTQ-Int4 copy (found with the search tool;
    // quantization_config and torch_dtype omitted): 60 routed experts of 1408, 4 per token, one shared expert of 5632.
    public const string Qwen15MoeA27B = """
        {"architectures":["Qwen2MoeForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151645,
         "decoder_sparse_step":1,"hidden_act":"silu","hidden_size":2048,"initializer_range":0.02,"intermediate_size":5632,
         "max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2_moe","moe_intermediate_size":1408,
         "norm_topk_prob":false,"num_attention_heads":16,"num_experts":60,"num_experts_per_tok":4,"num_hidden_layers":24,
         "num_key_value_heads":16,"output_router_logits":false,"rms_norm_eps":1e-06,"rope_theta":1000000.0,
         "router_aux_loss_coef":0.001,"shared_expert_intermediate_size":5632,"sliding_window":32768,
         "tie_word_embeddings":false,"use_cache":true,"use_sliding_window":false,"vocab_size":151936}
        """;
}
