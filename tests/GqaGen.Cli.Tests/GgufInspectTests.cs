using System.Text;

namespace GqaGen.Cli.Tests;

/// <summary><c>gqagen inspect model.gguf</c>: the layout from llama.cpp's metadata keys.</summary>
public class GgufInspectTests
{
    [Fact]
    public void TinyLlama_shaped_metadata_gives_its_layout_and_attribute()
    {
        using var dir = new TempDir();
        string path = WriteGguf(dir, "tinyllama.gguf", new()
        {
            ["general.architecture"] = "llama",
            ["llama.attention.head_count"] = 32u,
            ["llama.attention.head_count_kv"] = 4u,
            ["llama.embedding_length"] = 2048u,
            ["llama.block_count"] = 22u,
            ["llama.context_length"] = 2048u,
        });

        var r = CliRunner.Run("inspect", path);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("[GqaLayout(Heads = 32, KvGroups = 4, HeadDim = 64)]", r.Out);
        // f16 KV: 2 · 22 layers · 4 groups · 64 · 2 bytes = 22,528 bytes per token.
        Assert.Contains("22,528", r.Out);
    }

    [Fact]
    public void Missing_head_count_kv_means_multi_head_attention_and_json_works()
    {
        using var dir = new TempDir();
        string path = WriteGguf(dir, "gpt.gguf", new()
        {
            ["general.architecture"] = "llama",
            ["llama.attention.head_count"] = 12u,
            ["llama.embedding_length"] = 768u,
            ["llama.block_count"] = 12u,
        });

        var r = CliRunner.Run("inspect", path, "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"kvHeads\": 12", r.Out);
    }

    [Fact]
    public void Missing_key_is_one_line_naming_it()
    {
        using var dir = new TempDir();
        string path = WriteGguf(dir, "broken.gguf", new()
        {
            ["general.architecture"] = "llama",
            ["llama.attention.head_count"] = 32u,
            ["llama.block_count"] = 22u,
        });

        CliRunner.AssertFails(CliRunner.Run("inspect", path), "missing key 'llama.embedding_length'");
    }

    [Fact]
    public void Not_a_gguf_file_is_one_line()
    {
        using var dir = new TempDir();
        string path = dir.Write("fake.gguf", "this is not a GGUF file");

        CliRunner.AssertFails(CliRunner.Run("inspect", path), "is not a valid GGUF file");
    }

    /// <summary>A GGUF v3 file with metadata only (string and uint32 values), no tensors.</summary>
    private static string WriteGguf(TempDir dir, string name, Dictionary<string, object> metadata)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes("GGUF"));
            w.Write(3u);           // version
            w.Write(0UL);          // tensor count
            w.Write((ulong)metadata.Count);
            foreach ((string key, object value) in metadata)
            {
                WriteString(w, key);
                switch (value)
                {
                    case uint u:
                        w.Write(4u);   // GGUF_TYPE_UINT32
                        w.Write(u);
                        break;
                    case string text:
                        w.Write(8u);   // GGUF_TYPE_STRING
                        WriteString(w, text);
                        break;
                    default:
                        throw new ArgumentException($"unsupported test value {value}");
                }
            }
        }
        string path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, stream.ToArray());
        return path;
    }

    private static void WriteString(BinaryWriter w, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
