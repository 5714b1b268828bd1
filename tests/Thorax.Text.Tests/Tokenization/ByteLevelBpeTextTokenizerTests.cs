using Thorax.Text.Encoders;
using Thorax.Text.Tests.Support;
using Thorax.Text.Tokenization;

namespace Thorax.Text.Tests.Tokenization;

public class ByteLevelBpeTextTokenizerTests
{
    private static ByteLevelBpeTextTokenizer Tiny(int maxLength = 512) => ByteLevelBpeTextTokenizer.FromFiles(
        Golden.File("roberta_tiny/vocab.json"), Golden.File("roberta_tiny/merges.txt"), maxLength);

    [Fact]
    public void Ids_equal_a_byte_level_bpe_written_from_the_published_algorithm()
    {
        // tools/golden/text/make_bpe_golden.py: GPT-2 byte symbols, GPT-2 pre-tokenisation, merges by rank.
        var tok = Tiny();
        Assert.Equal(1, tok.PadId);
        foreach (var (text, ids) in Golden.Cases("roberta_tiny.json"))
        {
            var enc = tok.Encode(text);
            Assert.True(ids.SequenceEqual(enc.Ids), $"{text}\nexpected {string.Join(",", ids)}\nactual   {string.Join(",", enc.Ids)}");
        }
    }

    [Fact]
    public void Truncation_keeps_the_closing_token()
    {
        var enc = Tiny(maxLength: 5).Encode("There is a small right apical pneumothorax.");
        Assert.True(enc.Truncated);
        Assert.Equal(new[] { 0, 353, 296, 282, 2 }, enc.Ids);
    }

    [Fact]
    public void Mismatched_files_are_named()
    {
        var dir = Directory.CreateTempSubdirectory("thorax-bpe-");
        try
        {
            var vocab = Path.Combine(dir.FullName, "vocab.json");
            var merges = Path.Combine(dir.FullName, "merges.txt");
            File.WriteAllText(vocab, """{"<s>": 0, "<pad>": 1, "</s>": 2, "a": 3, "b": 4}""");
            File.WriteAllText(merges, "#version: 0.2\na c\n");
            var e = Assert.Throws<TextFormatException>(() => ByteLevelBpeTextTokenizer.FromFiles(vocab, merges));
            Assert.Contains(merges, e.Message);
            Assert.Contains("line 2", e.Message);
            File.WriteAllText(vocab, """{"[CLS]": 0}""");
            Assert.Contains("<s>, </s>, <pad> missing",
                Assert.Throws<TextFormatException>(() => ByteLevelBpeTextTokenizer.FromFiles(vocab, merges)).Message);
            File.WriteAllText(vocab, "[PAD]\n[UNK]\n");
            Assert.Contains("not a BPE vocab.json",
                Assert.Throws<TextFormatException>(() => ByteLevelBpeTextTokenizer.FromFiles(vocab, merges)).Message);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_roberta_folder_loads_through_TextEncoders()
    {
        using var enc = TextEncoders.Load(Golden.File("roberta_tiny"), maxLength: 32);
        var bert = Assert.IsType<BertModel>(enc.Module);
        Assert.True(bert.Config.RobertaPositions);
        Assert.Null(bert.pooler);   // a masked-LM checkpoint has no pooler; its lm_head is dropped
        using var e = enc.Encode(["Small right apical pneumothorax.", "No pneumothorax."]);
        Assert.Equal(32, e.LastHiddenState.shape[2]);
        Assert.False(e.LastHiddenState.isnan().any().item<bool>());
        // 34 positions - (pad 1 + 1) leave 32 tokens.
        Assert.Contains("exceeds the encoder's 32 positions",
            Assert.Throws<TextFormatException>(() => TextEncoders.Load(Golden.File("roberta_tiny"), maxLength: 40)).Message);
    }
}
