using System.Buffers.Binary;
using System.Text.Json;
using GqaGen.Gguf;
using GqaGen.Llama;
using GqaGen.Synthetic;
using SkiaSharp;

namespace GqaGen.Cli.Tests;

public class HeatmapTests
{
    // ---- The matrix builder: query head h reads K/V head h / HeadsPerGroup ----

    [Theory]
    [InlineData(KvTensor.Keys)]
    [InlineData(KvTensor.Values)]
    public void Builder_reads_the_group_of_each_head(KvTensor tensor)
    {
        // 8 heads, 2 groups: head 1 reads group 0 (1 / 4), whereas 1 % 2 would wrongly give group 1.
        var shape = new GqaShape(8, 2, 16);
        using var cache = new KvCache(shape, layers: 2, capacity: 10);
        var random = new Random(41);
        foreach (int layer in new[] { 0, 1 })
        {
            Fill(random, cache.Keys(layer));
            Fill(random, cache.Values(layer));
        }

        const int tokens = 7, layerDrawn = 1;
        var maps = KvHeadMaps.FromCache(cache, layerDrawn, tokens, tensor);
        Span<float> source = tensor == KvTensor.Keys ? cache.Keys(layerDrawn) : cache.Values(layerDrawn);
        Assert.Equal((8, 2, 16, tokens, 4), (maps.Heads, maps.KvGroups, maps.HeadDim, maps.Tokens, maps.HeadsPerGroup));
        for (int h = 0; h < 8; h++)
        {
            double[,] map = maps.ForHead(h);
            Assert.Equal(tokens, map.GetLength(0));
            Assert.Equal(16, map.GetLength(1));
            for (int t = 0; t < tokens; t++)
                for (int i = 0; i < 16; i++)
                    Assert.Equal(source[cache.RowOffset(h / 4, t) + i], map[t, i]);
        }

        // Min/max/mean per group, against a direct pass over the same cache rows.
        for (int g = 0; g < 2; g++)
        {
            var values = new List<double>();
            for (int t = 0; t < tokens; t++)
                foreach (float v in source.Slice(cache.RowOffset(g, t), 16))
                    values.Add(v);
            var stats = maps.Stats(g);
            Assert.Equal(values.Min(), stats.Min);
            Assert.Equal(values.Max(), stats.Max);
            Assert.Equal(values.Average(), stats.Mean, 12);
        }
        Assert.Equal(Enumerable.Range(0, 2).Max(g => Math.Max(Math.Abs(maps.Stats(g).Min), Math.Abs(maps.Stats(g).Max))), maps.MaxAbs(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => maps.ForHead(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => maps.Stats(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvHeadMaps.FromCache(cache, 2, tokens, tensor));
        Assert.Throws<ArgumentOutOfRangeException>(() => KvHeadMaps.FromCache(cache, 0, 11, tensor));
    }

    [Fact]
    public void Plotter_draws_one_panel_per_group_which_every_head_of_the_group_reads()
    {
        foreach (var maps in new[] { BuiltIn.Keys, BuiltIn.Values })
        {
            var layout = KvHeatmapPlotter.Layout(maps, BuiltIn.Labels, KvHeatmapPlotter.DefaultMaxGroups);
            var panels = KvHeatmapPlotter.Panels(maps, layout);
            Assert.Equal(2, panels.Count); // built-in: H = 8, G = 2, d = 32
            Assert.Equal(new[] { 0, 1 }, panels.Select(p => p.Cell.Group));
            Assert.Equal(new[] { "query heads 0, 1, 2, 3", "query heads 4, 5, 6, 7" }, panels.Select(p => p.Cell.HeadsText));
            foreach (var p in panels)
            {
                Assert.Equal(BuiltIn.Tokens, p.Data.GetLength(0));
                Assert.Equal(32, p.Data.GetLength(1));
                Assert.Contains(p.Data.Cast<double>(), v => v != 0); // a real cache, not an empty one
                // The one panel stands for every query head it names: each reads exactly this map.
                for (int h = p.Cell.FirstHead; h < p.Cell.FirstHead + p.Cell.HeadCount; h++)
                    Assert.Equal(p.Data.Cast<double>(), maps.ForHead(h).Cast<double>());
            }
            Assert.NotEqual(panels[0].Data.Cast<double>(), panels[1].Data.Cast<double>());
        }
    }

    [Fact]
    public void Png_has_one_panel_per_group_and_the_panels_differ()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");
        var maps = BuiltIn.Keys;
        var image = KvHeatmapPlotter.Render(file, maps, BuiltIn.Labels, "test", "test", "caption", KvHeatmapPlotter.DefaultMaxGroups);
        var layout = KvHeatmapPlotter.Layout(maps, BuiltIn.Labels, KvHeatmapPlotter.DefaultMaxGroups);
        Assert.Equal((layout.Width, layout.Height, 2), (image.Width, image.Height, image.GroupsShown));

        using var bitmap = SKBitmap.Decode(file);
        Assert.Equal(layout.Width, bitmap.Width);
        Assert.Equal(maps.KvGroups, CountPanels(bitmap, layout));
        AssertPanelsDistinct(bitmap, layout);
    }

    [Theory]
    [InlineData(8, 8)]   // MHA: 8 panels
    [InlineData(32, 8)]  // Llama-3-8B's sharing: 8 panels, not 32
    [InlineData(12, 3)]
    [InlineData(6, 1)]   // MQA: one panel
    public void Png_panel_count_is_the_group_count_for_any_sharing(int heads, int groups)
    {
        var random = new Random(heads * 100 + groups);
        const int tokens = 12, headDim = 16;
        var data = Enumerable.Range(0, groups).Select(_ => Enumerable.Range(0, tokens * headDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToList();
        var maps = new KvHeadMaps(heads, groups, headDim, tokens, KvTensor.Values, data);
        var labels = Enumerable.Range(0, tokens).Select(t => $"t{t}").ToList();
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "map.png");
        var image = KvHeatmapPlotter.Render(file, maps, labels, "test", "test", "caption", KvHeatmapPlotter.DefaultMaxGroups);
        var layout = KvHeatmapPlotter.Layout(maps, labels, KvHeatmapPlotter.DefaultMaxGroups);
        Assert.Equal(groups, image.GroupsShown);
        Assert.Equal(groups, layout.Cells.Count);
        using var bitmap = SKBitmap.Decode(file);
        Assert.Equal(groups, CountPanels(bitmap, layout));
        AssertPanelsDistinct(bitmap, layout);
    }

    /// <summary>Counts the heat maps actually drawn: along a line through the middle of each grid row's data, the runs
    /// of non-white pixels wider than a few pixels, right of the token labels and left of the colour bar.</summary>
    private static int CountPanels(SKBitmap bitmap, KvHeatmapLayout layout)
    {
        int count = 0;
        for (int row = 0; row < layout.Rows; row++)
        {
            int first = layout.Cells.Select((c, i) => (c, i)).First(x => x.c.Row == row).i;
            var r = layout.DataRect(first);
            int y = (int)((r.Top + r.Bottom) / 2);
            // The page is pure white; the gap between two panels is 2 × PanelSide pixels of it, whereas the colour map's
            // palest cells are off-white, so a run of pure white separates panels.
            int ink = 0, white = 0;
            for (int x = layout.Gutter + 2; x < layout.Width - KvHeatmapLayout.ColorBarWidth; x++)
            {
                if (bitmap.GetPixel(x, y) != SKColors.White)
                {
                    ink++;
                    white = 0;
                    continue;
                }
                if (++white >= 4)
                {
                    if (ink > 8) count++;
                    ink = 0;
                }
            }
            if (ink > 8) count++;
        }
        return count;
    }

    /// <summary>Every panel's data area has many colours, and no two panels (different K/V heads) are pixel-identical.</summary>
    private static void AssertPanelsDistinct(SKBitmap bitmap, KvHeatmapLayout layout)
    {
        uint[] Pixels(int panel)
        {
            // Inset past the frame, which is drawn over the data area's edge.
            var r = layout.DataRect(panel);
            var list = new List<uint>();
            for (int y = (int)r.Top + 3; y < (int)r.Bottom - 3; y++)
                for (int x = (int)r.Left + 3; x < (int)r.Right - 3; x++)
                    list.Add((uint)bitmap.GetPixel(x, y));
            return [.. list];
        }
        var all = Enumerable.Range(0, layout.Cells.Count).Select(Pixels).ToList();
        foreach (var pixels in all)
            Assert.True(pixels.Distinct().Count() > 20, $"a panel has only {pixels.Distinct().Count()} colours");
        for (int a = 0; a < all.Count; a++)
            for (int b = a + 1; b < all.Count; b++)
                Assert.False(all[a].SequenceEqual(all[b]), $"panels {a} and {b} (different K/V heads) are pixel-identical");
    }

    // ---- The command ----

    [Fact]
    public void Png_renders_with_content()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");
        var r = CliRunner.Run("heatmap", "--out", file);
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("built-in tiny model", r.Out);
        Assert.Contains("H = 8 query heads, G = 2 K/V heads (4 per group), d = 32", r.Out);
        Assert.Contains("Wrote", r.Out);

        byte[] bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > 20 * 1024, $"PNG is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.InRange(width, KvHeatmapLayout.MinWidth - 10, 1400);
        Assert.InRange(height, 300, 1000);

        using var bitmap = SKBitmap.Decode(file);
        var colors = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                colors.Add(bitmap.GetPixel(x, y));
        Assert.True(colors.Count > 100, $"only {colors.Count} distinct colours");
    }

    [Fact]
    public void Json_parses_with_layout_tokens_and_group_stats()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");
        var r = CliRunner.Run("heatmap", "--layer", "2", "--out", file, "--json");
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(Path.GetFullPath(file), root.GetProperty("path").GetString());
        Assert.True(File.Exists(file));
        Assert.True(root.GetProperty("builtIn").GetBoolean());
        Assert.Equal(2, root.GetProperty("layer").GetInt32());
        Assert.Equal(4, root.GetProperty("layers").GetInt32());
        Assert.Equal("keys", root.GetProperty("tensor").GetString());
        var layout = root.GetProperty("layout");
        Assert.Equal((8, 2, 32, 4, "GQA"), (layout.GetProperty("heads").GetInt32(), layout.GetProperty("kvGroups").GetInt32(),
            layout.GetProperty("headDim").GetInt32(), layout.GetProperty("headsPerGroup").GetInt32(), layout.GetProperty("attention").GetString()));
        var tokens = root.GetProperty("tokens");
        Assert.Equal(BuiltIn.Tokens, tokens.GetArrayLength());
        Assert.Equal(Enumerable.Range(0, BuiltIn.Tokens), tokens.EnumerateArray().Select(t => t.GetProperty("position").GetInt32()));
        Assert.All(tokens.EnumerateArray(), t => Assert.False(string.IsNullOrEmpty(t.GetProperty("label").GetString())));

        var groups = root.GetProperty("groups");
        Assert.Equal(2, groups.GetArrayLength());
        for (int g = 0; g < 2; g++)
        {
            var group = groups[g];
            Assert.Equal(Enumerable.Range(4 * g, 4), group.GetProperty("heads").EnumerateArray().Select(h => h.GetInt32()));
            double min = group.GetProperty("min").GetDouble(), max = group.GetProperty("max").GetDouble(), mean = group.GetProperty("mean").GetDouble();
            Assert.True(min < mean && mean < max, $"group {g}: min {min}, mean {mean}, max {max}");
            Assert.True(group.GetProperty("drawn").GetBoolean());
        }
        Assert.NotEqual(groups[0].GetProperty("max").GetDouble(), groups[1].GetProperty("max").GetDouble());
        Assert.Equal(2, root.GetProperty("panelsDrawn").GetInt32());
        Assert.Equal(Enumerable.Range(0, BuiltIn.Tokens), root.GetProperty("labelledTokens").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Contains("the 4 query heads named on a panel", root.GetProperty("caption").GetString());
        Assert.Equal(-root.GetProperty("scaleMax").GetDouble(), root.GetProperty("scaleMin").GetDouble());
    }

    [Fact]
    public void Values_option_draws_V()
    {
        using var dir = new TempDir();
        string keysFile = Path.Combine(dir.Path, "keys.png"), valuesFile = Path.Combine(dir.Path, "values.png");
        var keys = CliRunner.Run("heatmap", "--out", keysFile, "--json");
        var values = CliRunner.Run("heatmap", "--values", "--out", valuesFile, "--json");
        Assert.Equal(0, keys.ExitCode);
        Assert.Equal(0, values.ExitCode);
        using var k = JsonDocument.Parse(keys.Out);
        using var v = JsonDocument.Parse(values.Out);
        Assert.Equal("values", v.RootElement.GetProperty("tensor").GetString());

        // The statistics are those of the cache's V rows, not its K rows.
        for (int g = 0; g < 2; g++)
        {
            var stats = BuiltIn.Values.Stats(g);
            var group = v.RootElement.GetProperty("groups")[g];
            Assert.Equal(stats.Min, group.GetProperty("min").GetDouble(), 9);
            Assert.Equal(stats.Max, group.GetProperty("max").GetDouble(), 9);
            Assert.NotEqual(k.RootElement.GetProperty("groups")[g].GetProperty("max").GetDouble(), group.GetProperty("max").GetDouble());
        }
        Assert.NotEqual(File.ReadAllBytes(keysFile), File.ReadAllBytes(valuesFile));
    }

    [Fact]
    public void Layer_0_values_depend_on_the_token_alone_and_keys_on_its_position()
    {
        // The default prompt has " the" twice. In layer 0, V = W_v · norm(embedding) depends only on the token, so its
        // two value rows are equal; RoPE rotates keys by position, so its two key rows differ. This tells V from K.
        int[] the = [.. BuiltIn.Labels.Select((label, t) => (label, t)).Where(x => x.label == "·the").Select(x => x.t)];
        Assert.Equal(2, the.Length);
        double[] Row(KvHeadMaps maps, int head, int t) => [.. Enumerable.Range(0, maps.HeadDim).Select(i => maps.ForHead(head)[t, i])];
        for (int head = 0; head < 8; head += 4)
        {
            Assert.Equal(Row(BuiltIn.Values, head, the[0]), Row(BuiltIn.Values, head, the[1]));
            Assert.NotEqual(Row(BuiltIn.Keys, head, the[0]), Row(BuiltIn.Keys, head, the[1]));
            Assert.NotEqual(Row(BuiltIn.Values, head, the[0]), Row(BuiltIn.Values, head, the[0] + 1));
        }
    }

    [Fact]
    public void MaxGroups_draws_only_the_first_groups()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "one-group.png");
        var r = CliRunner.Run("heatmap", "--max-groups", "1", "--prompt", "the light is on", "--out", file, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("panelsDrawn").GetInt32());
        Assert.Equal(new[] { true, false }, doc.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("drawn").GetBoolean()));
    }

    [Fact]
    public void Bad_layer_exits_naming_the_valid_range()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--layer", "4", "--out", file), "0..3");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--layer", "-1", "--out", file), "the model has 4 layers, 0..3");
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_code_1()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--prompt", "", "--out", file), "--prompt is empty");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--prompt", "   ", "--out", file), "--prompt is empty");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--max-groups", "0", "--out", file), "--max-groups must be within 1..256; got 0");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--max-groups", "257", "--out", file), "--max-groups must be within 1..256; got 257");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--out", Path.Combine(dir.Path, "missing", "keys.png")), "does not exist");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--out", dir.Path), "is a directory");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--model", Path.Combine(dir.Path, "none.gguf"), "--out", file), "not found");
        string notGguf = dir.Write("config.gguf", "{\"not\": \"gguf\"}");
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--model", notGguf, "--out", file), "cannot load model");
        CliRunner.AssertFails(CliRunner.Run("heatmap"), "--out");
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Model_errors_are_one_line_and_exit_code_1()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "keys.png");

        // Valid GGUF, but not a llama model: NotSupportedException / InvalidDataException from the loader.
        string other = Path.Combine(dir.Path, "other.gguf");
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "mamba");
        using (var stream = File.Create(other))
            writer.WriteTo(stream);
        CliRunner.AssertFails(CliRunner.Run("heatmap", "--model", other, "--out", file), "'mamba' is not supported");

        // A truncated copy of the built-in model: GgufFormatException.
        byte[] model = SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn);
        string truncated = Path.Combine(dir.Path, "truncated.gguf");
        File.WriteAllBytes(truncated, model[..(model.Length / 2)]);
        // The reader's message says where ("… at data offset …"), so CliRunner.AssertFails' " at " stack-trace check does not apply.
        var r = CliRunner.Run("heatmap", "--model", truncated, "--out", file);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: cannot load model '{truncated}': ", line);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Model_file_is_run_like_the_built_in_model()
    {
        using var dir = new TempDir();
        string model = Path.Combine(dir.Path, "tiny.gguf");
        File.WriteAllBytes(model, SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn));
        string file = Path.Combine(dir.Path, "keys.png");
        var r = CliRunner.Run("heatmap", "--model", model, "--out", file, "--json");
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("builtIn").GetBoolean());
        Assert.StartsWith("synthetic-llama", doc.RootElement.GetProperty("model").GetString());
        // Same weights, same prompt: the same cache as the built-in run.
        Assert.Equal(BuiltIn.Keys.Stats(1).Max, doc.RootElement.GetProperty("groups")[1].GetProperty("max").GetDouble(), 9);
    }

    // ---- Layout and labels ----

    [Theory]
    [InlineData(8, 2, 2, 1)]      // built-in
    [InlineData(32, 8, 4, 2)]     // Llama-3-8B: 8 panels, not 32
    [InlineData(32, 32, 8, 4)]    // MHA
    [InlineData(12, 12, 6, 2)]    // GPT-2
    [InlineData(16, 8, 4, 2)]
    [InlineData(71, 1, 1, 1)]     // Falcon-7B MQA: one panel for all 71 heads
    public void Layout_has_a_panel_per_group_and_stays_a_sensible_size(int heads, int groups, int columns, int rows)
    {
        var layout = new KvHeatmapLayout(heads, groups, headDim: 128, tokens: 40, maxGroups: 64, tokenLabelWidth: 90);
        Assert.Equal((columns, rows), (layout.Columns, layout.Rows));
        Assert.Equal(groups, layout.Cells.Count);
        Assert.Equal(Enumerable.Range(0, groups), layout.Cells.Select(c => c.Group));
        Assert.All(layout.Cells, c => Assert.Equal((c.Group * (heads / groups), heads / groups), (c.FirstHead, c.HeadCount)));
        Assert.Equal(layout.Cells.Count, layout.Cells.Select(c => (c.Row, c.Column)).Distinct().Count());
        Assert.All(layout.Cells, c => Assert.True(c.Column < columns && c.Row < rows));
        // 40 tokens: every one labelled while the panels are tall enough (up to two grid rows), else thinned, keeping the ends.
        if (rows <= 2)
            Assert.Equal(Enumerable.Range(0, 40), layout.LabelledTokens);
        Assert.Equal((0, 39), (layout.LabelledTokens[0], layout.LabelledTokens[^1]));
        Assert.True(layout.LabelledTokens.Count * KvHeatmapLayout.LabelRowPixels <= layout.DataHeight + KvHeatmapLayout.LabelRowPixels, "labels overlap");
        Assert.InRange(layout.Width, KvHeatmapLayout.MinWidth - 10, 2400);
        Assert.InRange(layout.Height, 200, 2400);
    }

    [Fact]
    public void Layout_with_MaxGroups_draws_the_first_groups()
    {
        Assert.Equal(2, new KvHeatmapLayout(32, 8, 64, 10, maxGroups: 2, tokenLabelWidth: 40).Cells.Count);
        Assert.Single(new KvHeatmapLayout(32, 1, 64, 10, maxGroups: 3, tokenLabelWidth: 40).Cells);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvHeatmapLayout(32, 5, 64, 10, 64, 40));
    }

    [Fact]
    public void Panels_name_the_query_heads_that_share_them()
    {
        Assert.Equal("query head 5", new HeatmapCell(5, 5, 1, 0, 0).HeadsText);
        Assert.Equal("query heads 4, 5, 6, 7", new HeatmapCell(1, 4, 4, 0, 1).HeadsText);
        Assert.Equal("query heads 0–70 (71)", new HeatmapCell(0, 0, 71, 0, 0).HeadsText);
    }

    [Theory]
    [InlineData(10, 40)]
    [InlineData(1024, 45)]
    [InlineData(100, 7)]
    [InlineData(41, 21)]
    [InlineData(2, 2)]
    public void Thinned_labels_keep_the_first_and_last_and_fit(int tokens, int maxLabels)
    {
        var rows = TokenLabels.RowsToLabel(tokens, maxLabels);
        Assert.Equal(0, rows[0]);
        Assert.Equal(tokens - 1, rows[^1]);
        Assert.InRange(rows.Count, Math.Min(tokens, 2), maxLabels);
        Assert.Equal(rows.Order(), rows);
        Assert.Equal(rows.Count, rows.Distinct().Count());
        if (tokens <= maxLabels)
            Assert.Equal(Enumerable.Range(0, tokens), rows);
        else
        {
            int step = rows[1] - rows[0];
            for (int i = 1; i < rows.Count - 1; i++)
                Assert.Equal(step, rows[i] - rows[i - 1]); // even spacing, except into the last
            Assert.True(2 * (rows[^1] - rows[^2]) >= step, "the last label crowds the one before it");
        }
    }

    [Fact]
    public void Long_prompt_layout_thins_labels_but_keeps_the_ends()
    {
        var layout = new KvHeatmapLayout(8, 2, 32, tokens: 300, maxGroups: 64, tokenLabelWidth: 60);
        Assert.True(layout.LabelledTokens.Count < 300);
        Assert.True(layout.LabelledTokens.Count * KvHeatmapLayout.LabelRowPixels <= layout.DataHeight, "labels overlap");
        Assert.Equal((0, 299), (layout.LabelledTokens[0], layout.LabelledTokens[^1]));
    }

    [Theory]
    [InlineData("Ġthe", "·the")]
    [InlineData("▁the", "·the")]
    [InlineData(" keeper", "·keeper")]
    [InlineData("Ċ", "\\n")]
    [InlineData("\t", "\\t")]
    [InlineData("<|begin_of_text|>", "<|begin_of_te…")]
    [InlineData("", "#7")]
    [InlineData("\u0001", "#7")]
    [InlineData("lamp.", "lamp.")]
    public void Token_labels_are_short_and_printable(string text, string label) => Assert.Equal(label, TokenLabels.For(text, 7));

    private static void Fill(Random random, Span<float> span)
    {
        for (int i = 0; i < span.Length; i++)
            span[i] = (float)(random.NextDouble() * 2 - 1) + (i % 2 == 0 ? 0.25f : -0.25f);
    }

    /// <summary>The built-in model run once on the default prompt, shared by the tests that need its cache.</summary>
    private static class BuiltIn
    {
        private static readonly Lazy<(KvHeadMaps Keys, KvHeadMaps Values, IReadOnlyList<string> Labels)> Run = new(() =>
        {
            using var file = GgufFile.Parse(SyntheticLlama.Create(SyntheticLlamaSpec.BuiltIn));
            using var model = LlamaModel.Load(file, new LlamaModelOptions { Threads = 1, KvElementType = KvElementType.Float32 }); // as the heatmap command keeps its cache
            var tokens = model.Tokenizer.Encode(CliApp.DefaultHeatmapPrompt, addBos: true);
            using var session = model.CreateSession(tokens.Count);
            session.Prefill([.. tokens]);
            return (KvHeadMaps.FromCache(session.Cache, 0, tokens.Count, KvTensor.Keys),
                KvHeadMaps.FromCache(session.Cache, 0, tokens.Count, KvTensor.Values),
                tokens.Select(id => TokenLabels.For(model.Tokenizer, id)).ToList());
        });

        public static KvHeadMaps Keys => Run.Value.Keys;

        public static KvHeadMaps Values => Run.Value.Values;

        public static IReadOnlyList<string> Labels => Run.Value.Labels;

        public static int Tokens => Keys.Tokens;
    }
}
