using System.Text.Json;

namespace Thorax.Cli.Tests;

public class TextCommandTests
{
    [Fact]
    public void Embed_with_the_default_encoder_reports_tokens_truncation_and_values()
    {
        var (code, o, e) = CliRunner.Run("text", "embed", "--json", "--values", "4", "--max-length", "8",
            "Lungs are clear.", "There is a small right apical pneumothorax with a chest tube.");
        Assert.True(code == 0, e);
        CliSchemas.AssertValid("text-embed", o);
        var doc = JsonDocument.Parse(o).RootElement;
        Assert.Equal("all-MiniLM-L6-v2", doc.GetProperty("encoder").GetString());
        Assert.Equal(384, doc.GetProperty("hidden_size").GetInt32());
        var t = doc.GetProperty("texts");
        Assert.Equal(6, t[0].GetProperty("tokens").GetInt32());   // [CLS] lungs are clear . [SEP]
        Assert.False(t[0].GetProperty("truncated").GetBoolean());
        Assert.True(t[1].GetProperty("truncated").GetBoolean());
        Assert.Equal(8, t[1].GetProperty("tokens").GetInt32());
        Assert.Equal(4, t[1].GetProperty("mean_embedding").GetArrayLength());
        Assert.Contains("warning: text 1 has 19 tokens; truncated to 8", e);
        Assert.Equal(0, t[0].GetProperty("unknown_tokens").GetInt32());
    }

    [Fact]
    public void Bad_input_exits_2_naming_it()
    {
        var (code, _, e) = CliRunner.Run("text", "embed", "[DATE] [PERSONALNAME]");
        Assert.Equal(2, code);
        Assert.Contains("empty after removing placeholders", e);
        var missing = Path.Combine(Path.GetTempPath(), "thorax-no-such-model");
        (code, _, e) = CliRunner.Run("text", "embed", "--encoder", missing, "x");
        Assert.Equal(2, code);
        Assert.Contains(missing, e);
    }
}
