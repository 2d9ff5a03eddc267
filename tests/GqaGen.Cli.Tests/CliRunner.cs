namespace GqaGen.Cli.Tests;

/// <summary>Runs gqagen in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Asserts the run failed with exit code 1 and exactly one stderr line (no stack trace) containing <paramref name="fragment"/>.</summary>
    public static void AssertFails(Result r, string fragment)
    {
        Assert.Equal(1, r.ExitCode);
        string[] lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(fragment, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" at ", r.Err.Replace("at max", "", StringComparison.Ordinal).Replace("at context", "", StringComparison.Ordinal));
        Assert.Equal("", r.Out);
    }
}

/// <summary>Temporary files deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gqagen-cli-tests-").FullName;

    public string Write(string name, string text)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class Configs
{
    // meta-llama/Meta-Llama-3-8B config.json
    public const string Llama3_8B = """
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,
         "eos_token_id":128001,"hidden_act":"silu","hidden_size":4096,"initializer_range":0.02,"intermediate_size":14336,
         "max_position_embeddings":8192,"model_type":"llama","num_attention_heads":32,"num_hidden_layers":32,
         "num_key_value_heads":8,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_scaling":null,"rope_theta":500000.0,
         "tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.40.0.dev0","use_cache":true,
         "vocab_size":128256}
        """;

    // mistralai/Mistral-7B-v0.1 config.json
    public const string Mistral7B = """
        {"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,
         "initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral",
         "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":10000.0,
         "sliding_window":4096,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.34.0.dev0",
         "use_cache":true,"vocab_size":32000}
        """;

    // Qwen/Qwen2.5-7B config.json
    public const string Qwen25_7B = """
        {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151643,
         "hidden_act":"silu","hidden_size":3584,"initializer_range":0.02,"intermediate_size":18944,
         "max_position_embeddings":131072,"max_window_layers":28,"model_type":"qwen2","num_attention_heads":28,
         "num_hidden_layers":28,"num_key_value_heads":4,"rms_norm_eps":1e-06,"rope_theta":1000000.0,
         "sliding_window":131072,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.43.1",
         "use_cache":true,"use_sliding_window":false,"vocab_size":152064}
        """;

    // tiiuae/falcon-7b config.json (original Falcon keys)
    public const string Falcon7B = """
        {"alibi":false,"apply_residual_connection_post_layernorm":false,"architectures":["FalconForCausalLM"],
         "attention_dropout":0.0,"bias":false,"bos_token_id":11,"eos_token_id":11,"hidden_dropout":0.0,"hidden_size":4544,
         "initializer_range":0.02,"layer_norm_epsilon":1e-05,"model_type":"falcon","multi_query":true,
         "new_decoder_architecture":false,"n_head":71,"n_layer":32,"parallel_attn":true,"torch_dtype":"bfloat16",
         "transformers_version":"4.27.4","use_cache":true,"vocab_size":65024}
        """;
}
